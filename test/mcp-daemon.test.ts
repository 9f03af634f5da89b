import t from 'tap'
import { readFileSync } from 'node:fs'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { VERSION } from '../src/daemon/daemon.js'
import { mcpClient } from './helpers/mcp.js'
import { startDaemon } from './helpers/process.js'
import { tempSocket } from './helpers/util.js'
import { connect } from './helpers/wire.js'

const demoTools = ['echo', 'sleep', 'fail', 'add']

t.test("the SDK's Client lists and calls the demo tools of `linefy daemon --stdio --mcp --demo`", async (t) => {
  const { client, errors } = await mcpClient(t, ['daemon', '--stdio', '--mcp', '--demo', '--log-level', 'warn'])
  t.same(client.getServerVersion(), { name: 'linefy', version: VERSION })
  t.same(VERSION, JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version, 'serverInfo carries the package version')
  t.match(client.getServerCapabilities(), { tools: { listChanged: true }, logging: {} })
  const { tools } = await client.listTools()
  t.same(tools.map((tool) => tool.name), demoTools)
  t.match(tools.find((tool) => tool.name === 'add'), {
    description: 'Adds a and b.',
    inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    outputSchema: { type: 'object', properties: { result: { type: 'number' } }, required: ['result'] },
    annotations: { readOnlyHint: true }
  }, "the method's summary and result schema describe the tool")
  t.notOk('outputSchema' in (tools.find((tool) => tool.name === 'fail') ?? {}), 'a method that never returns has no output schema')
  t.same(tools.find((tool) => tool.name === 'echo')?.inputSchema, { type: 'object' }, 'a method without a params schema takes any arguments')

  t.same(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }), { content: [{ type: 'text', text: '5' }], structuredContent: { result: 5 } })
  t.same(await client.callTool({ name: 'echo', arguments: { hello: ['world'] } }), {
    content: [{ type: 'text', text: '{"hello":["world"]}' }], structuredContent: { hello: ['world'] }
  })
  t.same(await client.callTool({ name: 'fail', arguments: { message: 'boom' } }), { content: [{ type: 'text', text: 'boom' }], isError: true }, 'a handler error is a tool error the model reads')
  t.same(await client.callTool({ name: 'add', arguments: { a: 'two', b: 3 } }), {
    content: [{ type: 'text', text: 'invalid params at /a: Expected number' }], isError: true
  }, 'arguments failing the schema are a tool error naming the path')
  const unknown = await client.callTool({ name: 'nope', arguments: {} }).catch((err: unknown) => err)
  t.ok(unknown instanceof McpError)
  t.match(unknown, { code: -32602, message: /unknown tool 'nope'/ })
  t.same(await client.ping(), {})
  t.same(errors, [], 'nothing the client could not match')
})

t.test('progress reaches the host while a tool runs, and a cancelled call gets no reply while the session goes on', async (t) => {
  const { client, errors } = await mcpClient(t, ['daemon', '--stdio', '--mcp', '--demo', '--log-level', 'warn'])
  const progress: unknown[] = []
  const result = await client.callTool({ name: 'sleep', arguments: { ms: 40 } }, undefined, { onprogress: (p) => { progress.push(p) } })
  t.same(result.structuredContent, { slept: 40 })
  t.same(progress, [{ progress: 0, total: 40 }, { progress: 20, total: 40 }])

  const ac = new AbortController()
  const call = client.callTool({ name: 'sleep', arguments: { ms: 60_000 } }, undefined, { signal: ac.signal, onprogress: () => ac.abort('changed my mind') })
  t.rejects(call, /changed my mind/)
  await call.catch(() => {})
  t.same(await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }).then((r) => r.structuredContent), { result: 2 }, 'the next call is answered at once: the cancelled one no longer holds the connection')
  t.same(errors, [], 'no reply came for the cancelled call')
})

t.test('an MCP host reaches a socket daemon through `linefy bridge`, while a line client of the same daemon keeps the seed wire', async (t) => {
  const path = tempSocket(t)
  await startDaemon(t, path, ['--mcp', '--demo'])
  const { client, errors } = await mcpClient(t, ['bridge', '--socket', path])
  t.same((await client.listTools()).tools.map((tool) => tool.name), demoTools)
  t.same((await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })).structuredContent, { result: 42 })
  const second = await mcpClient(t, ['bridge', '--socket', path])
  t.same((await second.client.callTool({ name: 'echo', arguments: { from: 'second host' } })).structuredContent, { from: 'second host' }, 'hosts share one daemon, a session each')
  const line = await connect(path, t)
  t.match(await line.request({ jsonrpc: '2.0', method: 'echo' }), { id: null, error: { code: -32600, message: 'id required and non-null' } })
  t.match(await line.call('tools/list', undefined, 5), { id: 5, error: { code: -32600, message: /'tools\/list' before initialize/ } })
  t.same([...errors, ...second.errors], [])
})
