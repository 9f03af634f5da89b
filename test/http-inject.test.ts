import { join } from 'node:path'
import t from 'tap'
import linefy, { demo, http, lifecycle, Type } from '../index.js'
import { deferred, tempDir } from './helpers/util.js'
import { rpcLine } from './helpers/http-kit.js'

const post = (payload: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', url: '/', payload: payload as object, headers: { 'content-type': 'application/json', ...headers } })

t.test('injectHttp readies the app and answers through the real handler, no socket', async (t) => {
  const app = linefy()
  app.register(demo)
  t.teardown(() => app.close())
  const r = await app.injectHttp(post({ jsonrpc: '2.0', id: 1, method: 'add', params: { a: 2, b: 3 } }))
  t.equal(r.statusCode, 200)
  t.match(r.headers, { 'content-type': 'application/json', 'content-length': '35' })
  t.same(r.json(), { jsonrpc: '2.0', id: 1, result: 5 })
  t.same(app.addresses(), [], 'nothing listens')
  t.equal(app.activity.connections, 0, 'its connection ended with the reply')
})

t.test('the statuses, through injectHttp', async (t) => {
  const app = linefy()
  app.register(demo)
  t.teardown(() => app.close())
  t.equal((await app.injectHttp(post(rpcLine(undefined, 'echo')))).statusCode, 204)
  t.match((await app.injectHttp(post('nope'))).json(), { id: null, error: { code: -32700 } })
  t.match((await app.injectHttp(post(rpcLine(1, 'nope')))).json(), { id: 1, error: { code: -32601 } })
  const get = await app.injectHttp('/')
  t.same([get.statusCode, get.headers.allow, get.json().error.code], [405, 'POST', 'LINEFY_ERR_HTTP_METHOD'], 'a string is a GET of that URL')
  t.equal((await app.injectHttp({ method: 'POST', url: '/', payload: 'x', headers: { 'content-type': 'text/plain' } })).statusCode, 415)
  t.equal((await app.injectHttp({ method: 'POST', url: '/elsewhere', payload: {} })).statusCode, 404)
  t.equal((await app.injectHttp('/health')).statusCode, 404, 'no lifecycle plugin: no health endpoint')
  const huge = await app.injectHttp(post(rpcLine(2, 'echo', ['x'.repeat(1024 * 1024)])))
  t.same([huge.statusCode, huge.headers.connection], [413, 'close'])
  t.equal((await app.injectHttp({ method: 'POST', url: '/', payload: {}, headers: { host: 'evil.example' } })).statusCode, 200, 'no Host check without a TCP listener')
})

t.test('injectHttp uses the options of the HTTP listener registered', async (t) => {
  const app = linefy()
  app.register(demo)
  app.register(lifecycle)
  app.register(http, { path: join(tempDir(t), 'h.sock'), endpoint: '/rpc', healthEndpoint: '/status' })
  t.teardown(() => app.close())
  t.same((await app.injectHttp({ method: 'POST', url: '/rpc', payload: { jsonrpc: '2.0', id: 1, method: 'echo', params: [1] } })).json().result, [1])
  t.equal((await app.injectHttp(post({}))).statusCode, 404)
  t.match((await app.injectHttp('/status')).json(), { ok: true, state: 'WAKE' })
})

t.test('hooks, schemas, timeouts and connection hooks apply to injected requests', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const events: string[] = []
  app.addHook('onConnection', async (conn) => { events.push(`connect ${conn.id}`) })
  app.addHook('onDisconnect', async (conn) => { events.push(`disconnect ${conn.id}`) })
  app.addHook('onSend', async (req, result) => (req.method === 'double' ? { wrapped: result } : result))
  app.method('double', { schema: { params: Type.Object({ n: Type.Number() }) } }, (req) => req.params.n * 2)
  app.method('slow', { timeout: 20 }, () => new Promise(() => {}))
  t.same((await app.injectHttp(post(rpcLine(1, 'double', { n: 4 })))).json().result, { wrapped: 8 })
  t.match((await app.injectHttp(post(rpcLine(2, 'double', { n: 'x' })))).json().error, { code: -32602 })
  t.match((await app.injectHttp(post(rpcLine(3, 'slow')))).json().error, { code: -32003 })
  t.match(events, [/^connect \d+$/, /^disconnect \d+$/, /^connect/, /^disconnect/, /^connect/, /^disconnect/], 'one connection per request')
})

t.test('injectHttp rejects once close() began, or when an onConnection hook refuses', async (t) => {
  const closed = linefy()
  await closed.close()
  await t.rejects(closed.injectHttp('/'), { code: 'LINEFY_ERR_CLOSED', message: /injectHttp/ })

  const closing = linefy()
  const loading = deferred()
  closing.register(async () => { await loading.promise })
  const injected = closing.injectHttp('/')
  const done = closing.close()
  loading.resolve()
  await t.rejects(injected, { code: 'LINEFY_ERR_CLOSED' }, 'close() began while it readied the app')
  await done

  const refusing = linefy()
  t.teardown(() => refusing.close())
  const no = new Error('not you')
  refusing.addHook('onConnection', (_conn, done) => { done(no) })
  await t.rejects(refusing.injectHttp(post(rpcLine(1, 'x'))), no)
})

t.test('close() deadline: an injected request left unanswered rejects with LINEFY_ERR_CLOSED', async (t) => {
  const app = linefy({ closeGraceMs: 10 })
  const running = deferred()
  app.control('stuck', () => { running.resolve(); return new Promise(() => {}) })
  const injected = app.injectHttp(post({ type: 'stuck' }))
  await running.promise
  await app.close()
  await t.rejects(injected, { code: 'LINEFY_ERR_CLOSED' })
})

t.test("light-my-request's own errors pass through", async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  await t.rejects(app.injectHttp({ method: 'FROB' as 'GET', url: '/' }), /must be equal to one of the allowed values/)
})
