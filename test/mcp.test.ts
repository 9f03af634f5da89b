import t from 'tap'
import linefy, { Type, type LinefyInstance, type Request } from '../index.js'
import mcp, { PROTOCOL_VERSIONS, type McpOptions } from '../plugins/mcp.js'
import { deferred, injectLines, rpc } from './helpers/util.js'

const init = (protocolVersion = '2025-11-25') => rpc(0, 'initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'test', version: '1' } })

function mcpApp (t: { teardown: (fn: () => unknown) => void }, opts: McpOptions = {}, appOpts = {}): LinefyInstance {
  const app = linefy(appOpts)
  t.teardown(() => app.close())
  app.register(mcp, { name: 'srv', version: '2.0.0', ...opts })
  return app
}

t.test('initialize answers the client\'s version when supported, else the latest, with the capabilities and serverInfo', async (t) => {
  const app = mcpApp(t, { instructions: 'use me' })
  for (const v of PROTOCOL_VERSIONS) t.equal((await app.inject(init(v)))?.result?.protocolVersion, v)
  t.same((await app.inject(init('1999-01-01')))?.result, {
    protocolVersion: '2025-11-25',
    capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, logging: {}, completions: {} },
    serverInfo: { name: 'srv', version: '2.0.0' },
    instructions: 'use me'
  })
  t.match(await app.inject(rpc(1, 'initialize', { capabilities: {} })), { error: { code: -32602, message: 'invalid params at /protocolVersion: Expected required property' } })
})

t.test('before initialize only ping and server/discover are answered; a second initialize is refused', async (t) => {
  const app = mcpApp(t)
  const replies = await injectLines(app, [
    rpc(1, 'tools/list'), rpc(2, 'ping'), rpc(3, 'server/discover'),
    init(), { jsonrpc: '2.0', method: 'notifications/initialized' }, init(), rpc(4, 'tools/list')
  ])
  t.same(replies[0], { jsonrpc: '2.0', id: 1, error: { code: -32600, message: "'tools/list' before initialize: send initialize first (only ping and server/discover may come before it)" } })
  t.same(replies[1], { jsonrpc: '2.0', id: 2, result: {} })
  t.match(replies[2]?.result, { resultType: 'complete', supportedVersions: ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'], serverInfo: { name: 'srv' }, capabilities: { tools: {} } })
  t.equal(replies[3]?.result?.protocolVersion, '2025-11-25')
  t.equal(replies[4], undefined, 'a notification gets no reply')
  t.same(replies[5], { jsonrpc: '2.0', id: 0, error: { code: -32600, message: 'this connection is already initialized: open a new connection to start another session' } })
  t.same(replies[6], { jsonrpc: '2.0', id: 4, result: { tools: [] } })
})

t.test('garbage and a reply to nothing asked get what the spec says, and the session goes on', async (t) => {
  const app = mcpApp(t, {}, { compat: 'seed' })
  const replies = await injectLines(app, [init(), 'not json', '{"jsonrpc":"2.0","id":99,"result":"stray"}', '[]', rpc(1, 'ping'), { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }])
  t.match(replies[1], { id: null, error: { code: -32700 } })
  t.equal(replies[2], undefined, 'a reply with an unknown id is dropped')
  t.match(replies[3], { id: null, error: { code: -32600, message: 'batch must not be empty' } }, 'the session speaks spec JSON-RPC in a seed daemon')
  t.same(replies[4], { jsonrpc: '2.0', id: 1, result: {} })
  t.equal(replies[5], undefined, 'a notification nobody handles gets no reply either')
})

t.test('tools/list pages with an opaque cursor; a cursor not of ours is -32602', async (t) => {
  const app = mcpApp(t, { pageSize: 2, tools: ['c', { name: 'd', description: 'from the list', title: 'D' }] })
  for (const name of ['a', 'b', 'c', 'd', 'e']) app.method(name, name < 'c' ? { mcp: { description: name } } : {}, () => name)
  const [, first] = await injectLines(app, [init(), rpc(1, 'tools/list')])
  t.same(first?.result?.tools.map((x: { name: string }) => x.name), ['a', 'b'])
  const [, second, bad] = await injectLines(app, [init(), rpc(2, 'tools/list', { cursor: first?.result?.nextCursor }), rpc(3, 'tools/list', { cursor: 'bogus' })])
  t.same(second?.result, { tools: [{ name: 'c', inputSchema: { type: 'object' } }, { name: 'd', title: 'D', description: 'from the list', inputSchema: { type: 'object' } }] }, 'the last page has no nextCursor; e never opted in')
  t.match(bad, { error: { code: -32602, message: "invalid cursor 'bogus': pass the nextCursor of the previous page, or none for the first page" } })
})

t.test('a tool\'s schemas: params normalised to an object schema, result schema to outputSchema (wrapped unless an object)', async (t) => {
  const app = mcpApp(t)
  const Point = Type.Object({ x: Type.Number() })
  app.method('point', { schema: { params: Type.Union([Type.Undefined(), Point]), result: Point }, mcp: { description: 'p' } }, () => ({ x: 1 }))
  app.method('count', { schema: { result: Type.Integer() }, mcp: { description: 'n' } }, () => 3)
  const [, list, point, count] = await injectLines(app, [init(), rpc(1, 'tools/list'), rpc(2, 'tools/call', { name: 'point', arguments: { x: 1 } }), rpc(3, 'tools/call', { name: 'count' })])
  t.same(list?.result?.tools, [
    { name: 'point', description: 'p', inputSchema: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] }, outputSchema: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
    { name: 'count', description: 'n', inputSchema: { type: 'object' }, outputSchema: { type: 'object', properties: { result: { type: 'integer' } }, required: ['result'] } }
  ])
  t.same(point?.result, { content: [{ type: 'text', text: '{"x":1}' }], structuredContent: { x: 1 } })
  t.same(count?.result, { content: [{ type: 'text', text: '3' }], structuredContent: { result: 3 } })
})

t.test('set-up mistakes are refused at ready() with a code that says what to do', async (t) => {
  const cases: Array<[string, (app: LinefyInstance) => void, McpOptions, string]> = [
    ['a tools entry naming no method', () => {}, { tools: ['ghost'] }, 'LINEFY_ERR_MCP_NO_METHOD'],
    ['a tool whose params are not an object', (app) => app.method('arr', { schema: { params: Type.Array(Type.Number()) }, mcp: { description: 'x' } }, () => 1), {}, 'LINEFY_ERR_MCP_TOOL_SCHEMA'],
    ['a description that is not a string', (app) => app.method('d', { mcp: { description: 7 as never } }, () => 1), {}, 'LINEFY_ERR_INVALID_OPTION']
  ]
  for (const [what, add, opts, code] of cases) {
    const app = linefy()
    app.register(mcp, opts)
    add(app)
    await t.rejects(app.ready(), { code }, what)
    await app.close()
  }
  const app = linefy().register(mcp, { pageSize: 0 })
  await t.rejects(app.ready(), { code: 'LINEFY_ERR_INVALID_OPTION', message: /pageSize/ })
  await app.close()
})

t.test('a tool may return MCP content itself; a tool whose method times out is a tool error, an overloaded server a JSON-RPC error', async (t) => {
  const app = mcpApp(t, {}, { concurrency: 1, maxQueue: 0, perConnection: 2 })
  const image = { type: 'image', data: 'AAAA', mimeType: 'image/png' }
  const hold = deferred()
  app.method('picture', { mcp: { description: 'i' } }, () => ({ content: [image], isError: false }))
  app.method('hello', { mcp: { description: 'h' } }, () => ({ type: 'text', text: 'hi' }))
  app.method('late', { timeout: 10, mcp: { description: 'l' } }, () => new Promise(() => {}))
  app.method('hold', () => hold.promise)
  // the one slot is held until the tool call has been answered
  app.addHook('onResponse', (req: Request) => { if (req.method === 'tools/call') hold.resolve() })
  const [, picture, hello, late] = await injectLines(app, [init(), rpc(1, 'tools/call', { name: 'picture' }), rpc(2, 'tools/call', { name: 'hello' }), rpc(3, 'tools/call', { name: 'late' })])
  t.same(picture?.result, { content: [image], isError: false })
  t.same(hello?.result, { content: [{ type: 'text', text: 'hi' }] })
  t.same(late?.result, { content: [{ type: 'text', text: 'request timed out after 10 ms' }], isError: true })
  const busy = await injectLines(app, [init(), rpc(4, 'hold'), rpc(5, 'tools/call', { name: 'hello' })])
  t.match(busy[2], { id: 5, error: { code: -32004, message: /server overloaded/ } })
})

t.test('a hidden tool is neither listed nor callable, and hiding an unknown one throws', async (t) => {
  const app = mcpApp(t)
  app.method('x', { mcp: { description: 'x' } }, () => 1)
  await app.ready()
  app.mcp.setToolEnabled('x', false)
  app.mcp.setToolEnabled('x', false)
  const [, list, call] = await injectLines(app, [init(), rpc(1, 'tools/list'), rpc(2, 'tools/call', { name: 'x' })])
  t.same(list?.result, { tools: [] })
  t.match(call, { error: { code: -32602, message: /unknown tool 'x'/ } })
  t.throws(() => app.mcp.setToolEnabled('nope', true), { code: 'LINEFY_ERR_MCP_UNKNOWN_TOOL' })
  t.equal(app.mcp.client({} as never), undefined)
})

t.test('a line client of the same daemon cannot use MCP methods without initialize', async (t) => {
  const app = mcpApp(t, {}, { compat: 'seed' })
  t.match(await app.inject(rpc(1, 'resources/read', { uri: 'x' })), { error: { code: -32600, message: /'resources\/read' before initialize/ } })
  t.same(await app.inject(rpc(2, 'ping')), { jsonrpc: '2.0', id: 2, result: {} })
})

t.test('a tool call is a request of its own through the pipeline: its method\'s hooks see it under the method\'s name', async (t) => {
  const app = mcpApp(t)
  const seen: unknown[] = []
  app.register(async (child) => {
    child.addHook('preHandler', (req: Request) => { seen.push([req.method, req.params, typeof req.id]) })
    child.method('inside', { mcp: { description: 'i' } }, () => 'ok')
  })
  const [, call] = await injectLines(app, [init(), rpc(1, 'tools/call', { name: 'inside', arguments: { a: 1 } })])
  t.same(call?.result?.structuredContent, { result: 'ok' })
  t.same(seen, [['inside', { a: 1 }, 'string']])
})

t.test('an onSend hook that sees tools/call sees its result as an object, and what it returns is the reply', async (t) => {
  const app = mcpApp(t)
  const seen: unknown[] = []
  app.addHook('onSend', (req: Request, result: unknown) => {
    if (req.method !== 'tools/call') return result
    seen.push(result)
    return { ...(result as object), _meta: { seen: true } }
  })
  app.method('twice', { mcp: { description: 'd' } }, (req: Request<{ n: number }>) => req.params.n * 2)
  const [, call] = await injectLines(app, [init(), rpc(1, 'tools/call', { name: 'twice', arguments: { n: 21 } })])
  t.same(seen, [{ content: [{ type: 'text', text: '42' }], structuredContent: { result: 42 } }])
  t.same(call?.result, { content: [{ type: 'text', text: '42' }], structuredContent: { result: 42 }, _meta: { seen: true } })
})

t.test('an initialize with nothing but a version is enough, and every list takes no params at all', async (t) => {
  const app = mcpApp(t)
  const replies = await injectLines(app, [rpc(0, 'initialize', { protocolVersion: '2025-03-26' }), rpc(1, 'resources/list'), rpc(2, 'resources/templates/list'), rpc(3, 'prompts/list')])
  t.equal(replies[0]?.result?.protocolVersion, '2025-03-26')
  t.same(replies.slice(1).map((r) => r?.result), [{ resources: [] }, { resourceTemplates: [] }, { prompts: [] }])
})

t.test('every kind of MCP content passes through; other values are wrapped as structuredContent and text', async (t) => {
  const app = mcpApp(t)
  const blocks = [
    { type: 'audio', data: 'AA==', mimeType: 'audio/wav' },
    { type: 'resource', resource: { uri: 'memo://x', text: 'x' } },
    { type: 'resource_link', uri: 'memo://y', name: 'y' }
  ]
  app.method('blocks', { mcp: { description: 'b' } }, () => ({ content: blocks }))
  app.method('text', { mcp: { description: 't' } }, () => 'plain words')
  app.method('list', { mcp: { description: 'l' } }, () => [1, { type: 'nope' }])
  app.method('nothing', { mcp: { description: 'n' } }, () => undefined)
  const [, b, text, list, nothing] = await injectLines(app, [init(), ...['blocks', 'text', 'list', 'nothing'].map((name, i) => rpc(i + 1, 'tools/call', { name }))])
  t.same(b?.result, { content: blocks })
  t.same(text?.result, { content: [{ type: 'text', text: 'plain words' }], structuredContent: { result: 'plain words' } })
  t.same(list?.result, { content: [{ type: 'text', text: '[1,{"type":"nope"}]' }], structuredContent: { result: [1, { type: 'nope' }] } })
  t.same(nothing?.result, { content: [{ type: 'text', text: 'null' }], structuredContent: { result: null } })
})

t.test('params an MCP tool cannot take are refused at ready(): a record, a union of objects', async (t) => {
  for (const params of [Type.Record(Type.String(), Type.Number()), Type.Union([Type.Object({ a: Type.Number() }), Type.Object({ b: Type.Number() })])]) {
    const app = linefy()
    app.register(mcp)
    app.method('m', { schema: { params }, mcp: { description: 'm' } }, () => 1)
    await t.rejects(app.ready(), { code: 'LINEFY_ERR_MCP_TOOL_SCHEMA', message: /method 'm' takes params of type (Record|Union)/ })
    await app.close()
  }
})

t.test('resources and prompts refuse a handler that is not a function, a resource without a name, and a second one of a URI', async (t) => {
  const app = mcpApp(t)
  await app.ready()
  t.throws(() => app.resource('memo://a', { name: 'a' }, 'no' as never), { code: 'LINEFY_ERR_INVALID_HANDLER' })
  t.throws(() => app.resource('memo://a', {} as never, () => ''), { code: 'LINEFY_ERR_INVALID_OPTION', message: /of resource 'memo:\/\/a' must be a string/ })
  t.throws(() => app.prompt('p', {}, 'no' as never), { code: 'LINEFY_ERR_INVALID_HANDLER' })
  app.resource('memo://t/{x}', { name: 't' }, () => '')
  t.throws(() => app.resource('memo://t/{x}', { name: 't' }, () => ''), { code: 'LINEFY_ERR_MCP_DUPLICATE', message: "MCP resource template 'memo://t/{x}' is already registered: each may be added once" })
  app.mcp.removeResource('memo://t/{x}')
  app.mcp.removeResource('memo://never')
  app.mcp.removePrompt('never')
  const [, templates] = await injectLines(app, [init(), rpc(1, 'resources/templates/list')])
  t.same(templates?.result, { resourceTemplates: [] })
})
