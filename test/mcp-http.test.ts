import t from 'tap'
import { request } from 'node:http'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import linefy, { demo, type LinefyInstance, type Request } from '../index.js'
import mcp, { type McpOptions } from '../plugins/mcp.js'
import { send, tcpTarget } from './helpers/http-kit.js'
import { notifications } from './helpers/mcp.js'
import { deferred, settle, type Teardown } from './helpers/util.js'

async function served (t: Teardown, opts: McpOptions = {}): Promise<{ app: LinefyInstance, url: URL, to: { host: string, port: number } }> {
  const app = linefy({ compat: 'seed' })
  t.teardown(() => app.close())
  app.register(mcp, { name: 'http', version: '1.0.0', ...opts })
  app.register(demo)
  app.method('chatty', { mcp: { description: 'logs' } }, (req: Request) => { req.log.warn('careful'); return 'ok' })
  await app.listen({ http: { port: 0 } })
  const address = app.addresses()[0] as string
  return { app, url: new URL('/mcp', address), to: tcpTarget(address) }
}

async function sdkClient (t: Teardown, url: URL): Promise<{ client: Client, transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url)
  const client = new Client({ name: 'http-test', version: '1.0.0' })
  t.teardown(() => client.close())
  await client.connect(transport)
  return { client, transport }
}

const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
const initBody = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }

t.test("the SDK's Streamable HTTP client lists and calls the tools, with progress on the call's SSE stream and logs on the GET stream", async (t) => {
  const { url } = await served(t)
  const { client, transport } = await sdkClient(t, url)
  t.match(transport.sessionId, /^[0-9a-f-]{36}$/)
  t.same((await client.listTools()).tools.map((x) => x.name), ['chatty', 'echo', 'sleep', 'fail', 'add'])
  t.same((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent, { result: 3 })
  const progress: unknown[] = []
  t.same((await client.callTool({ name: 'sleep', arguments: { ms: 30 } }, undefined, { onprogress: (p) => { progress.push(p) } })).structuredContent, { slept: 30 })
  t.same(progress, [{ progress: 0, total: 30 }, { progress: 15, total: 30 }])
  const logs = notifications<{ params: unknown }>(client, LoggingMessageNotificationSchema)
  await client.setLoggingLevel('warning')
  await client.callTool({ name: 'chatty' })
  t.same((await logs.next()).params, { level: 'warning', logger: 'chatty', data: 'careful' })
  await transport.terminateSession()
  t.equal(transport.sessionId, undefined, 'DELETE ended the session')
})

t.test('bad HTTP requests to the MCP endpoint get the status the spec names', async (t) => {
  const { to } = await served(t)
  const init = await send(to, initBody, { path: '/mcp', headers: json })
  t.equal(init.status, 200)
  t.equal(init.json().result.protocolVersion, '2025-06-18')
  const session = init.headers['mcp-session-id'] as string
  const withSession = { ...json, 'mcp-session-id': session }
  const status = async (body: unknown, headers: Record<string, string>, method = 'POST'): Promise<[number, string | undefined]> => {
    const r = await send(to, body as object, { path: '/mcp', headers, method })
    return [r.status, r.body === '' ? undefined : r.json().error?.data?.code]
  }
  t.same(await status({ jsonrpc: '2.0', id: 2, method: 'ping' }, json), [400, 'LINEFY_ERR_MCP_SESSION_REQUIRED'])
  t.same(await status({ jsonrpc: '2.0', id: 2, method: 'ping' }, { ...json, 'mcp-session-id': 'nope' }), [404, 'LINEFY_ERR_MCP_UNKNOWN_SESSION'])
  t.same(await status({ jsonrpc: '2.0', id: 2, method: 'ping' }, { ...withSession, 'mcp-protocol-version': '1999-01-01' }), [400, 'LINEFY_ERR_MCP_PROTOCOL_VERSION'])
  t.same(await status('{"jsonrpc":', withSession), [400, 'LINEFY_ERR_PARSE'])
  t.same(await status({ jsonrpc: '2.0', id: 2, method: 'ping' }, { ...withSession, 'content-type': 'text/plain' }), [415, 'LINEFY_ERR_HTTP_MEDIA_TYPE'])
  t.same(await status({ jsonrpc: '2.0', id: 2, method: 'ping' }, { ...withSession, accept: 'text/html' }), [406, 'LINEFY_ERR_MCP_NOT_ACCEPTABLE'])
  t.same(await status(undefined, { 'mcp-session-id': session, accept: 'application/json' }, 'GET'), [406, 'LINEFY_ERR_MCP_NOT_ACCEPTABLE'])
  t.same(await status(undefined, withSession, 'PUT'), [405, 'LINEFY_ERR_HTTP_METHOD'])
  t.same(await status(undefined, { accept: 'text/event-stream' }, 'GET'), [400, 'LINEFY_ERR_MCP_SESSION_REQUIRED'])
  t.same(await status(undefined, { 'mcp-session-id': 'nope' }, 'DELETE'), [404, 'LINEFY_ERR_MCP_UNKNOWN_SESSION'])
  t.same(await status({ jsonrpc: '2.0', method: 'notifications/initialized' }, withSession), [202, undefined], 'a notification is accepted with no body')
  t.same(await status({ jsonrpc: '2.0', id: 'x', method: 'ping' }, { ...withSession, accept: 'application/json' }).then(() => 'answered'), 'answered')
  const evil = await send(to, initBody, { path: '/mcp', headers: { ...json, origin: 'http://evil.example' } })
  t.same([evil.status, evil.json().error.code], [403, 'LINEFY_ERR_HTTP_FORBIDDEN'], 'the Origin check guards against DNS rebinding')
  t.same(await status(undefined, withSession, 'DELETE'), [200, undefined])
  t.same(await status({ jsonrpc: '2.0', id: 3, method: 'ping' }, withSession), [404, 'LINEFY_ERR_MCP_UNKNOWN_SESSION'], 'the session is gone')
})

t.test('a JSON batch is answered as one JSON array; garbage in it is answered too', async (t) => {
  const { to } = await served(t, { http: { json: true } })
  const init = await send(to, initBody, { path: '/mcp', headers: json })
  const headers = { ...json, 'mcp-session-id': init.headers['mcp-session-id'] as string }
  const r = await send(to, [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', method: 'notifications/initialized' }, 7], { path: '/mcp', headers })
  t.equal(r.headers['content-type'], 'application/json')
  t.same(r.json(), [{ jsonrpc: '2.0', id: 1, result: {} }, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request must be a JSON object' } }])
})

t.test('one GET stream per session carries what the server sends on its own; past maxSessions the idlest session ends', async (t) => {
  const { app, to } = await served(t, { http: { maxSessions: 1 } })
  app.resource('memo://a', { name: 'a' }, () => 'a')
  const init = await send(to, initBody, { path: '/mcp', headers: json })
  const session = init.headers['mcp-session-id'] as string
  const got = deferred<string>()
  const get = request({ ...to, path: '/mcp', method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': session } }, (res) => {
    t.equal(res.headers['content-type'], 'text/event-stream')
    let text = ''
    res.on('data', (chunk: Buffer) => { text += chunk.toString(); if (text.includes('\n\n')) got.resolve(text) })
  })
  get.on('error', () => {})
  get.end()
  t.teardown(() => get.destroy())
  await t.resolves(new Promise<void>((resolve) => get.once('response', () => resolve())))
  const second = await send(to, undefined, { path: '/mcp', method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': session } })
  t.same([second.status, second.json().error.data.code], [409, 'LINEFY_ERR_MCP_STREAM_OPEN'])
  app.resource('memo://b', { name: 'b' }, () => 'b')
  t.equal(await got.promise, 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/resources/list_changed"}\n\n')
  const other = await send(to, initBody, { path: '/mcp', headers: json })
  t.not(other.headers['mcp-session-id'], session)
  const old = await send(to, { jsonrpc: '2.0', id: 2, method: 'ping' }, { path: '/mcp', headers: { ...json, 'mcp-session-id': session } })
  t.equal(old.status, 404, 'the older session was ended to make room')
  const ended = deferred()
  const open = request({ ...to, path: '/mcp', method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': other.headers['mcp-session-id'] as string } }, (res) => {
    res.resume()
    res.on('end', () => ended.resolve())
  })
  open.on('error', () => {})
  open.end()
  await new Promise<void>((resolve) => open.once('response', () => resolve()))
  const started = Date.now()
  await app.close()
  await ended.promise
  t.ok(Date.now() - started < 5_000, 'close() ends the GET stream instead of waiting out its grace period')
})

t.test('a body over maxLineBytes is 413; a POST that goes away before its reply leaves the session serving', async (t) => {
  const app = linefy({ maxLineBytes: 2048 })
  t.teardown(() => app.close())
  app.register(mcp)
  const release = deferred()
  const started = deferred()
  app.method('slow', { mcp: { description: 's' } }, async () => { started.resolve(); await release.promise; return 'late' })
  // each HTTP connection closing, as the server sees it: the test waits for the third (initialize, the 413, the one that goes away)
  let closed = 0
  const third = deferred()
  app.addHook('onDisconnect', () => { if (++closed === 3) third.resolve() })
  await app.listen({ http: { port: 0 } })
  const to = tcpTarget(app.addresses()[0] as string)
  const init = await send(to, initBody, { path: '/mcp', headers: json })
  const headers = { ...json, 'mcp-session-id': init.headers['mcp-session-id'] as string }
  const big = await send(to, { jsonrpc: '2.0', id: 2, method: 'ping', params: { pad: 'x'.repeat(4096) } }, { path: '/mcp', headers })
  t.same([big.status, big.json().error.data.code], [413, 'LINEFY_ERR_HTTP_BODY_TOO_LARGE'])
  const gone = request({ ...to, path: '/mcp', method: 'POST', headers }, (res) => { res.resume() })
  gone.on('error', () => {})
  gone.end(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'slow' } }))
  await started.promise
  gone.destroy()
  await third.promise
  // its response closes in the same turn as its connection
  await settle()
  release.resolve()
  const ping = await send(to, { jsonrpc: '2.0', id: 4, method: 'ping' }, { path: '/mcp', headers: { ...headers, accept: 'application/json' } })
  t.same(ping.json(), { jsonrpc: '2.0', id: 4, result: {} }, 'the late reply went nowhere; the session answers on')
})

t.test('the server\'s own messages wait for a GET stream, at most 256 of them; progress of a JSON-answered call is dropped', async (t) => {
  const { app, to } = await served(t, { http: { json: true } })
  const init = await send(to, initBody, { path: '/mcp', headers: json })
  const session = init.headers['mcp-session-id'] as string
  const headers = { ...json, 'mcp-session-id': session }
  for (let i = 0; i < 300; i++) app.resource(`memo://${i}`, { name: String(i) }, () => '')
  const slept = await send(to, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 2 }, _meta: { progressToken: 'p' } } }, { path: '/mcp', headers })
  t.same(slept.json().result.structuredContent, { slept: 2 })
  const events = deferred<string>()
  const get = request({ ...to, path: '/mcp', method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': session } }, (res) => {
    let text = ''
    res.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.split('\n\n').length - 1 >= 256) events.resolve(text)
    })
  })
  get.on('error', () => {})
  get.end()
  t.teardown(() => get.destroy())
  const text = await events.promise
  t.equal(text.split('\n\n').length - 1, 256)
  t.notOk(text.includes('notifications/progress'), 'the progress of the JSON-answered call was not held')
})

t.test('a maxSessions that is not a whole number above 0 is refused when the plugin loads', async (t) => {
  const app = linefy()
  app.register(mcp, { http: { maxSessions: 0 } })
  await t.rejects(app.ready(), { code: 'LINEFY_ERR_INVALID_OPTION', message: /http.maxSessions/ })
  await app.close()
})
