import { existsSync, linkSync, lstatSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import net from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy, { demo, http, lifecycle, Type, type HttpOptions, type LinefyInstance, type LinefyOptions } from '../index.js'
import { connect, connectError } from './helpers/wire.js'
import { captureLogger, deferred, tempDir, waitFor } from './helpers/util.js'
import { curl, hasCurl, rawPost, RawHttp, rpcLine, send, tcpTarget, type Target } from './helpers/http-kit.js'

function app (t: Test, opts: LinefyOptions = {}): LinefyInstance {
  const a = linefy(opts)
  a.register(demo)
  t.teardown(() => a.close())
  return a
}

/** Listens on a socket file in a fresh temp dir. */
async function onSocket (t: Test, a: LinefyInstance, opts: HttpOptions = {}): Promise<{ socketPath: string }> {
  const socketPath = join(tempDir(t), 'run', 'h.sock')
  await a.listen({ http: { path: socketPath, ...opts } })
  return { socketPath }
}

async function onTcp (a: LinefyInstance, opts: HttpOptions = {}): Promise<{ host: string, port: number }> {
  await a.listen({ http: { port: 0, ...opts } })
  return tcpTarget(a.addresses()[0] as string)
}

const add = rpcLine(1, 'add', { a: 2, b: 3 })
const mode = (p: string): number => lstatSync(p).mode & 0o777

t.test('curl over the unix socket reaches the demo methods', { skip: hasCurl ? false : 'curl is not installed' }, async (t) => {
  const to = await onSocket(t, app(t))
  const r = await curl(['--unix-socket', to.socketPath, 'http://localhost/', '-H', 'Content-Type: application/json', '-d', add])
  t.same(r, { code: 0, stdout: '{"jsonrpc":"2.0","id":1,"result":5}', stderr: '' })
  const json = await curl(['--unix-socket', to.socketPath, 'http://localhost/', '--json', rpcLine(2, 'echo', ['curl'])])
  t.equal(json.stdout, '{"jsonrpc":"2.0","id":2,"result":["curl"]}', 'curl --json sets the content type')
  const form = await curl(['--unix-socket', to.socketPath, '-w', '\\n%{http_code}', 'http://localhost/', '-d', add])
  t.match(form.stdout, /LINEFY_ERR_HTTP_MEDIA_TYPE.*\n415$/, "curl -d alone sends a form type, which is refused")
})

t.test('curl over TCP reaches the demo methods', { skip: hasCurl ? false : 'curl is not installed' }, async (t) => {
  const a = app(t)
  const { port } = await onTcp(a)
  t.same(a.addresses(), [`http://127.0.0.1:${port}`])
  const r = await curl([`http://127.0.0.1:${port}/`, '-H', 'Content-Type: application/json', '-d', add])
  t.same(r, { code: 0, stdout: '{"jsonrpc":"2.0","id":1,"result":5}', stderr: '' })
  const local = await curl([`http://localhost:${port}/`, '--json', rpcLine(3, 'add', { a: 1, b: 1 })])
  t.equal(local.stdout, '{"jsonrpc":"2.0","id":3,"result":2}')
})

t.test('the socket file follows every rule of the unix transport', async (t) => {
  const a = app(t)
  const to = await onSocket(t, a)
  t.same(a.addresses(), [`http+unix:${to.socketPath}`])
  t.equal(mode(join(to.socketPath, '..')), 0o700, 'a missing directory is created 0700')
  t.ok(lstatSync(to.socketPath).isSocket())
  t.equal(mode(to.socketPath), 0o600)
  await t.rejects(app(t).listen({ http: { path: to.socketPath } }), { code: 'LINEFY_ERR_ADDR_IN_USE' }, 'a live listener is never taken over')
  await t.rejects(app(t).listen({ path: to.socketPath }), { code: 'LINEFY_ERR_ADDR_IN_USE' }, 'nor by a line socket')
  await a.close()
  t.notOk(existsSync(to.socketPath), 'removed at close')
  t.same(a.addresses(), [])
})

t.test('a stale socket file is replaced, a regular file refused', async (t) => {
  const dir = tempDir(t)
  const stale = join(dir, 'stale.sock')
  // what a daemon killed with SIGKILL leaves behind: a socket file nobody listens on
  const crashed = net.createServer().listen(stale + '.b')
  await waitFor(crashed, 'listening')
  linkSync(stale + '.b', stale)
  await new Promise((resolve) => crashed.close(resolve))
  const a = app(t)
  await a.listen({ http: { path: stale } })
  t.equal((await send({ socketPath: stale }, add)).json().result, 5)
  const file = join(dir, 'file')
  writeFileSync(file, 'data')
  await t.rejects(app(t).listen({ http: { path: file } }), { code: 'LINEFY_ERR_UNSAFE_PATH' })
})

t.test('a JSON-RPC body is answered 200 application/json, errors included, as on the line socket', async (t) => {
  const a = app(t)
  a.control('ping', () => ({ ok: true, pong: 1 }))
  const to = await onSocket(t, a)
  const cases: Array<[string, unknown]> = [
    [add, { jsonrpc: '2.0', id: 1, result: 5 }],
    ['{not json', { jsonrpc: '2.0', id: null, error: { code: -32700, message: /parse error/ } }],
    ['', { jsonrpc: '2.0', id: null, error: { code: -32700 } }],
    ['{"jsonrpc":"1.0","id":4,"method":"add"}', { jsonrpc: '2.0', id: 4, error: { code: -32600 } }],
    [rpcLine(5, 'nope'), { jsonrpc: '2.0', id: 5, error: { code: -32601, message: "unknown method 'nope'" } }],
    [rpcLine(6, 'add', { a: 'x', b: 1 }), { jsonrpc: '2.0', id: 6, error: { code: -32602, message: /\/a/ } }],
    [rpcLine(7, 'fail', { message: 'boom' }), { jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'boom' } }],
    ['{"type":"ping"}', { ok: true, pong: 1 }],
    ['{"type":"nope"}', { id: null, error: { code: -32600, message: "unknown control type 'nope'" } }],
    [`[${rpcLine(8, 'add', { a: 1, b: 1 })},${rpcLine(undefined, 'echo')},${rpcLine(9, 'nope')}]`, [{ id: 8, result: 2 }, { id: 9, error: { code: -32601 } }]],
    ['\u00e9t\u00e9', { id: null, error: { code: -32700 } }]
  ]
  for (const [body, reply] of cases) {
    const r = await send(to, body)
    t.equal(r.status, 200, body)
    t.match(r.headers['content-type'], 'application/json')
    t.match(r.json(), reply, body)
  }
})

t.test('a notification, or a batch of notifications only, is answered 204 once it ran', async (t) => {
  const a = app(t)
  const seen: unknown[] = []
  a.method('log', (req) => { seen.push(req.params) })
  const to = await onSocket(t, a)
  const one = await send(to, rpcLine(undefined, 'log', ['one']))
  t.same([one.status, one.body, one.headers['content-type']], [204, '', undefined])
  const batch = await send(to, `[${rpcLine(undefined, 'log', ['two'])},${rpcLine(undefined, 'log', ['three'])}]`)
  t.same([batch.status, batch.body], [204, ''])
  t.same(seen, [['one'], ['two'], ['three']])
})

t.test('seed mode refuses a batch with -32600, still 200', async (t) => {
  const to = await onSocket(t, app(t, { compat: 'seed' }))
  const r = await send(to, `[${add}]`)
  t.same([r.status, r.json().error.code], [200, -32600])
})

t.test('HTTP problems are HTTP answers, each with a code and what to do', async (t) => {
  const a = app(t)
  const to = await onSocket(t, a, { endpoint: '/rpc' })
  const cases: Array<[string, () => Promise<{ status: number, headers: Record<string, unknown>, body: string }>, number, string, Record<string, string>?]> = [
    ['GET on the endpoint', () => send(to, undefined, { method: 'GET', path: '/rpc' }), 405, 'LINEFY_ERR_HTTP_METHOD', { allow: 'POST' }],
    ['PUT on the endpoint', () => send(to, add, { method: 'PUT', path: '/rpc' }), 405, 'LINEFY_ERR_HTTP_METHOD', { allow: 'POST' }],
    ['text/plain', () => send(to, add, { path: '/rpc', headers: { 'content-type': 'text/plain' } }), 415, 'LINEFY_ERR_HTTP_MEDIA_TYPE'],
    ['application/jsonp', () => send(to, add, { path: '/rpc', headers: { 'content-type': 'application/jsonp' } }), 415, 'LINEFY_ERR_HTTP_MEDIA_TYPE'],
    ['no content type', () => send(to, undefined, { path: '/rpc' }), 415, 'LINEFY_ERR_HTTP_MEDIA_TYPE'],
    ['another path', () => send(to, add), 404, 'LINEFY_ERR_HTTP_NOT_FOUND'],
    ['/health without the lifecycle plugin', () => send(to, undefined, { method: 'GET', path: '/health' }), 404, 'LINEFY_ERR_HTTP_NOT_FOUND']
  ]
  for (const [what, go, status, code, headers] of cases) {
    const r = await go()
    t.equal(r.status, status, what)
    t.match(r.headers, { 'content-type': 'application/json', ...headers }, what)
    t.match(JSON.parse(r.body), { error: { code, message: /: / } }, what)
  }
  const charset = await send(to, add, { path: '/rpc?trace=1', headers: { 'content-type': 'Application/JSON; charset=utf-8' } })
  t.same([charset.status, charset.json().result], [200, 5], 'parameters and a query string are fine')
})

t.test('GET /health answers the lifecycle status; other methods there are 405', async (t) => {
  const a = app(t)
  a.register(lifecycle)
  const to = await onSocket(t, a, { healthEndpoint: '/healthz' })
  const r = await send(to, undefined, { method: 'GET', path: '/healthz' })
  t.equal(r.status, 200)
  t.match(r.json(), { ok: true, state: 'WAKE', connections: 1, in_flight: 0, pid: process.pid })
  const post = await send(to, '{}', { path: '/healthz' })
  t.match([post.status, post.headers.allow, post.json().error.code], [405, 'GET', 'LINEFY_ERR_HTTP_METHOD'])
  const before = a.activity.lastActivity
  await send(to, undefined, { method: 'GET', path: '/healthz' })
  t.equal(a.activity.lastActivity, before, 'a health probe is not activity: background work still sees the daemon idle')
})

t.test('a Content-Length over maxLineBytes is 413 before a byte of the body is read', async (t) => {
  const a = app(t, { maxLineBytes: 1024 })
  const to = await onSocket(t, a)
  const c = await RawHttp.open(to)
  c.write('POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1025\r\n\r\n')
  const r = await c.next()
  t.match(r, { status: 413, headers: { connection: 'close' } })
  t.match(JSON.parse(r.body), { error: { code: 'LINEFY_ERR_HTTP_BODY_TOO_LARGE', message: /1024 bytes/ } })
  await c.closed
  const fits = await send(to, rpcLine(1, 'echo', ['x'.repeat(1024 - rpcLine(1, 'echo', ['']).length)]))
  t.equal(fits.status, 200, 'a body of exactly maxLineBytes is taken')
})

t.test('a chunked body is counted while it streams: 413 as it passes the cap, the rest never held', async (t) => {
  const a = app(t, { maxLineBytes: 64 * 1024 })
  const to = await onSocket(t, a)
  let sent = 0
  const chunk = Buffer.alloc(16 * 1024, 'x')
  const reply = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = request({ ...to, method: 'POST', path: '/', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode as number, body }))
    })
    req.on('error', reject)
    let answered = false
    req.on('response', () => { answered = true })
    // 50 MiB offered, one chunk at a time, until the answer comes
    const pump = (): void => {
      while (!answered && sent < 50 * 1024 * 1024) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
    }
    pump()
  })
  t.equal(reply.status, 413)
  t.match(JSON.parse(reply.body), { error: { code: 'LINEFY_ERR_HTTP_BODY_TOO_LARGE' } })
  t.ok(sent < 8 * 1024 * 1024, `answered after ${sent} bytes of 50 MiB`)
  t.equal((await send(to, add)).status, 200, 'the daemon serves on')
})

t.test('a chunked body over the cap that does end is 413 all the same', async (t) => {
  const to = await onSocket(t, app(t, { maxLineBytes: 100 }))
  const c = await RawHttp.open(to)
  const chunk = 'x'.repeat(101)
  c.write(`POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`)
  t.match(await c.next(), { status: 413, headers: { connection: 'close' } })
  await c.closed
})

t.test('a chunked body that breaks off is 400', async (t) => {
  const a = app(t)
  const to = await onSocket(t, a)
  const c = await RawHttp.open(to)
  c.write('POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"jsonrpc":')
  // the client half-closes mid-chunk: the body can never complete
  c.socket.end()
  const r = await c.next()
  t.equal(r.status, 400)
  t.match(JSON.parse(r.body), { error: { code: 'LINEFY_ERR_HTTP_BAD_REQUEST', message: /HPE_INVALID_EOF_STATE.*zero-length chunk/ } })
  await c.closed
  const bad = await RawHttp.open(to)
  bad.write('POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')
  t.match(await bad.next(), { status: 400, headers: { connection: 'close' } }, 'a chunk size that is not hex')
  await bad.closed
  t.equal((await send(to, add)).status, 200)
})

t.test('slowloris: headers sent byte by byte are cut off with 408 after headersTimeout', async (t) => {
  const a = app(t)
  const to = await onSocket(t, a, { headersTimeout: 200 })
  const c = await RawHttp.open(to)
  const started = Date.now()
  const head = 'POST / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ' + 'a'.repeat(10_000)
  let i = 0
  const drip = setInterval(() => { if (i < head.length) c.write(head[i++] as string) }, 20)
  t.teardown(() => clearInterval(drip))
  const r = await c.next()
  clearInterval(drip)
  const took = Date.now() - started
  t.equal(r.status, 408)
  t.match(JSON.parse(r.body), { error: { code: 'LINEFY_ERR_HTTP_TIMEOUT', message: /within 200 ms/ } })
  t.ok(took >= 200 && took < 5000, `cut off after ${took} ms`)
  await c.closed
  t.equal((await send(to, add)).status, 200, 'others are served')
})

t.test('a body trickling past requestTimeout is 408; a slow handler is not', async (t) => {
  const a = app(t)
  const to = await onSocket(t, a, { headersTimeout: 250, requestTimeout: 500 })
  const c = await RawHttp.open(to)
  const body = rpcLine(1, 'echo', ['slow'])
  c.write(`POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
  let i = 0
  const drip = setInterval(() => { if (i < body.length - 1) c.write(body[i++] as string) }, 30)
  t.teardown(() => clearInterval(drip))
  const r = await c.next()
  clearInterval(drip)
  t.match(r, { status: 408, headers: { connection: 'close' } })
  await c.closed
  const slow = await send(to, rpcLine(2, 'sleep', { ms: 800 }))
  t.same(slow.json(), { jsonrpc: '2.0', id: 2, result: { slept: 800 } }, 'the timeout covers receiving the request, not running it')
})

t.test('headers over maxHeaderSize or maxHeadersCount are 431', async (t) => {
  const a = app(t)
  const to = await onSocket(t, a, { maxHeaderSize: 1024, maxHeadersCount: 5 })
  const big = await RawHttp.open(to)
  big.write(`POST / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(2000)}\r\n\r\n`)
  const r = await big.next()
  t.equal(r.status, 431)
  t.match(JSON.parse(r.body), { error: { code: 'LINEFY_ERR_HTTP_HEADERS_TOO_LARGE', message: /1024 bytes or 5 fields/ } })
  const c = await RawHttp.open(to)
  c.write(rawPost(add, 'X-1: 1\r\nX-2: 2\r\n'))
  t.equal((await c.next()).status, 200, 'five fields: Host, Content-Type, Content-Length and two more')
  c.write(rawPost(add, 'X-1: 1\r\nX-2: 2\r\nX-3: 3\r\n'))
  t.match(await c.next(), { status: 431, headers: { connection: 'close' } }, 'six fields')
  await c.closed
  const flood = await send(to, add, { headers: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-${i}`, 'v'])) })
  t.equal(flood.status, 431, 'two hundred fields: still refused, never silently cut')
})

t.test('past maxConnections a request is answered 503 and its connection closed', async (t) => {
  const a = app(t)
  const gone = deferred()
  a.addHook('onDisconnect', () => gone.resolve())
  const to = await onSocket(t, a, { maxConnections: 2 })
  const first = await RawHttp.open(to)
  const second = await RawHttp.open(to)
  first.write(rawPost(add))
  second.write(rawPost(add))
  await first.next()
  await second.next()
  t.equal(a.activity.connections, 2)
  const third = await RawHttp.open(to)
  third.write(rawPost(add) + rawPost(add))
  const r = await third.next()
  t.match(r, { status: 503, headers: { connection: 'close' } })
  t.match(JSON.parse(r.body), { error: { code: 'LINEFY_ERR_HTTP_TOO_MANY_CONNECTIONS', message: /2 HTTP connections/ } })
  await third.closed
  t.equal(third.responses.length, 1, 'what was pipelined behind the 503 is left unanswered, as Connection: close says')
  const garbage = await RawHttp.open(to)
  garbage.write('NOT HTTP\r\n\r\n')
  t.equal((await garbage.next()).status, 400, 'one over the cap is still answered when it sends garbage')
  await garbage.closed
  first.socket.destroy()
  await gone.promise
  t.equal((await send(to, add)).status, 200, 'a freed slot is taken again')
})

t.test('keep-alive: requests on one connection reuse it', async (t) => {
  const a = app(t)
  let connections = 0
  a.addHook('onConnection', async () => { connections++ })
  const to = await onSocket(t, a)
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  for (let i = 0; i < 3; i++) {
    const r = await send(to, rpcLine(i, 'add', { a: i, b: 1 }), { agent })
    t.same([r.status, r.headers.connection, r.json().result], [200, 'keep-alive', i + 1])
  }
  t.equal(connections, 1, 'one connection, its onConnection hooks run once')
})

t.test('pipelined requests on one connection are answered in order', async (t) => {
  const a = app(t, { perConnection: 4 })
  const to = await onSocket(t, a)
  const c = await RawHttp.open(to)
  c.write(rawPost(rpcLine(1, 'sleep', { ms: 150 })) + rawPost(rpcLine(2, 'echo', ['fast'])) + rawPost(rpcLine(undefined, 'echo')) + rawPost(rpcLine(3, 'add', { a: 1, b: 2 })))
  const rs = await c.count(4)
  t.same(rs.map((r) => r.status), [200, 200, 204, 200])
  t.same(rs.filter((r) => r.body !== '').map((r) => JSON.parse(r.body).id), [1, 2, 3], 'even when later ones finish first')
  c.socket.destroy()
})

t.test('more pipelined requests than maxBacklog are answered 503, never held', async (t) => {
  const a = app(t, { maxBacklog: 2 })
  const to = await onSocket(t, a)
  const c = await RawHttp.open(to)
  c.write(rawPost(rpcLine(1, 'sleep', { ms: 100 })) + rawPost(rpcLine(2, 'echo')) + rawPost(rpcLine(3, 'echo')) + rawPost(rpcLine(4, 'echo')))
  const rs = await c.count(4)
  t.same(rs.map((r) => r.status), [200, 200, 503, 503])
  t.match(JSON.parse((rs[2] as { body: string }).body), { error: { code: 'LINEFY_ERR_HTTP_PIPELINE_FULL' } })
  c.write(rawPost(rpcLine(5, 'echo', [5])))
  t.same(JSON.parse((await c.next()).body).result, [5], 'the connection serves on once answered')
  c.socket.destroy()
})

t.test('a cancel pipelined on the same connection cancels the running request', async (t) => {
  const a = app(t)
  const to = await onSocket(t, a)
  const c = await RawHttp.open(to)
  c.write(rawPost(rpcLine(1, 'sleep', { ms: 30_000 })) + rawPost(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } })))
  const [cancelled, notice] = await c.count(2)
  t.match(JSON.parse((cancelled as { body: string }).body), { id: 1, error: { code: -32800 } })
  t.equal((notice as { status: number }).status, 204)
  c.socket.destroy()
})

t.test('the client going away aborts req.signal with LINEFY_ERR_CLIENT_GONE', async (t) => {
  const a = linefy()
  t.teardown(() => a.close())
  const running = deferred()
  const aborted = deferred<unknown>()
  const gone = deferred()
  a.method('hang', (req) => new Promise(() => {
    req.signal.addEventListener('abort', () => aborted.resolve(req.signal.reason))
    running.resolve()
  }))
  a.addHook('onDisconnect', () => gone.resolve())
  const to = await onSocket(t, a)
  const req = request({ ...to, method: 'POST', path: '/', agent: false, headers: { 'content-type': 'application/json' } })
  req.on('error', () => {})
  req.end(rpcLine(1, 'hang'))
  await running.promise
  t.equal(a.activity.inFlight, 1)
  req.destroy()
  t.match(await aborted.promise, { code: 'LINEFY_ERR_CLIENT_GONE' })
  await gone.promise
  t.same([a.activity.connections, a.activity.inFlight], [0, 0])
})

t.test('hooks, schemas and the gate run for HTTP requests as for lines', async (t) => {
  const a = linefy({ concurrency: 1, maxQueue: 0 })
  t.teardown(() => a.close())
  const seen: string[] = []
  a.addHook('onRequest', async (req) => { seen.push(`${req.method}#${String(req.id)}@${req.connection.id}`) })
  a.addHook('preHandler', async (req) => { if (Array.isArray(req.params) && req.params[0] === 'deny') throw Object.assign(new Error('denied'), { code: -32010 }) })
  const release = deferred()
  const holding = deferred()
  a.method('hold', async () => { holding.resolve(); await release.promise; return 'held' })
  a.method('open', (req) => req.params)
  a.method('typed', { schema: { params: Type.Object({ n: Type.Integer() }) } }, (req) => req.params.n * 2)
  const to = await onSocket(t, a)
  t.same((await send(to, rpcLine(1, 'typed', { n: 21 }))).json().result, 42)
  t.match((await send(to, rpcLine(2, 'typed', { n: 'x' }))).json().error, { code: -32602 })
  t.same((await send(to, rpcLine(3, 'open', ['deny']))).json().error, { code: -32010, message: 'denied' })
  const held = send(to, rpcLine(4, 'hold'))
  await holding.promise
  t.match((await send(to, rpcLine(5, 'typed', { n: 1 }))).json().error, { code: -32004 }, 'past the queue bound: overloaded at once')
  release.resolve()
  t.equal((await held).json().result, 'held')
  t.match(seen, [/^typed#1@\d+$/, /^typed#2@/, /^open#3@/, /^hold#4@/, /^typed#5@/])
})

t.test('an onConnection hook that refuses closes the HTTP connection', async (t) => {
  const a = app(t)
  a.addHook('onConnection', async () => { throw new Error('not you') })
  const to = await onSocket(t, a)
  // reset, or the request still being written when the socket went
  await t.rejects(send(to, add), { code: /^(ECONNRESET|EPIPE)$/ })
  t.equal(a.activity.connections, 0)
})

t.test('Expect: 100-continue: the body is asked for only once its headers pass', async (t) => {
  const a = app(t, { maxLineBytes: 1024 })
  const to = await onSocket(t, a)
  const expect = (length: number, type = 'application/json'): Promise<{ continued: boolean, status: number }> => new Promise((resolve, reject) => {
    let continued = false
    const body = rpcLine(1, 'echo', ['x'.repeat(Math.max(0, length - 40))])
    const req = request({ ...to, method: 'POST', path: '/', agent: false, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body), expect: '100-continue' } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ continued, status: res.statusCode as number }))
    })
    req.on('continue', () => {
      continued = true
      req.end(body)
    })
    req.on('error', reject)
    req.flushHeaders()
  })
  t.same(await expect(100), { continued: true, status: 200 })
  t.same(await expect(5000), { continued: false, status: 413 })
  t.same(await expect(100, 'text/plain'), { continued: false, status: 415 })
})

t.test('on TCP, Host and Origin must name this machine with the listening port (DNS rebinding)', async (t) => {
  const a = app(t)
  const to = await onTcp(a, { allowedHosts: ['MyBox.Local', '::2'] })
  const { port } = to
  const status = async (headers: Record<string, string>): Promise<number> => (await send(to, add, { headers })).status
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`, `mybox.local:${port}`, `[::2]:${port}`]) {
    t.equal(await status({ host }), 200, host)
  }
  for (const host of [`evil.example:${port}`, 'localhost', `localhost:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
    t.equal(await status({ host }), 403, host)
  }
  t.equal(await status({ host: `localhost:${port}`, origin: `http://localhost:${port}` }), 200)
  for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `http://localhost:${port + 1}`]) {
    t.equal(await status({ host: `localhost:${port}`, origin }), 403, origin)
  }
  const r = await send(to, add, { headers: { host: `evil.example:${port}` } })
  t.match(r.json(), { error: { code: 'LINEFY_ERR_HTTP_FORBIDDEN', message: new RegExp(`Host 'evil.example:${port}' is not allowed.*port ${port}.*allowedHosts`) } })
  const health = await send(to, undefined, { method: 'GET', path: '/health', headers: { host: 'evil.example' } })
  t.equal(health.status, 403, 'checked before anything is routed')
})

t.test('on a unix socket no Host check applies: only this user can connect', async (t) => {
  const to = await onSocket(t, app(t))
  t.equal((await send(to, add, { headers: { host: 'anything.example', origin: 'http://anything.example' } })).status, 200)
})

t.test('close() drains: idle connections end, the busy one gets its reply with Connection: close', async (t) => {
  const a = app(t)
  const running = deferred()
  a.addHook('onRequest', async (req) => { if (req.method === 'sleep') running.resolve() })
  const to = await onSocket(t, a)
  const idle = await RawHttp.open(to)
  idle.write(rawPost(add))
  await idle.next()
  const busy = await RawHttp.open(to)
  // the second is read before close() and waits its turn: answered, as a line read by then would be
  busy.write(rawPost(rpcLine(1, 'sleep', { ms: 200 })) + rawPost(rpcLine(2, 'echo')))
  await running.promise
  const closed = a.close()
  await idle.closed
  t.equal(idle.responses.length, 1, 'the idle connection ends without a word')
  t.not(await connectError(to.socketPath), null, 'no new connection is accepted')
  const [slept, late] = await busy.count(2)
  t.match(slept, { status: 200, headers: { connection: 'keep-alive' } })
  t.same(JSON.parse((slept as { body: string }).body).result, { slept: 200 })
  t.match(late, { status: 200, headers: { connection: 'close' } }, 'the last reply closes the connection')
  t.match(JSON.parse((late as { body: string }).body), { id: 2, error: { code: -32005 } })
  await busy.closed
  await closed
  t.notOk(existsSync(to.socketPath))
  t.equal(a.activity.connections, 0)
})

t.test('close() past closeGraceMs aborts what still runs and ends the connections', async (t) => {
  const a = app(t, { closeGraceMs: 50 })
  const running = deferred()
  const sleeping = deferred()
  a.control('stuck', () => { running.resolve(); return new Promise(() => {}) })
  a.addHook('onRequest', async () => { sleeping.resolve() })
  const to = await onSocket(t, a)
  const slow = await RawHttp.open(to)
  slow.write(rawPost(rpcLine(1, 'sleep', { ms: 60_000 })))
  const stuck = await RawHttp.open(to)
  stuck.write(rawPost('{"type":"stuck"}'))
  await Promise.all([running.promise, sleeping.promise])
  await a.close()
  const [aborted] = await slow.count(1)
  t.match(aborted, { status: 200, headers: { connection: 'close' } })
  t.match(JSON.parse((aborted as { body: string }).body), { id: 1, error: { code: -32005 } })
  await stuck.closed
  t.equal(stuck.responses.length, 0, 'a control handler that never settles is cut off at the deadline')
})

t.test('a request waits for asynchronous onConnection hooks to pass', async (t) => {
  const a = linefy()
  t.teardown(() => a.close())
  const order: string[] = []
  const admit = deferred()
  let first = true
  a.addHook('onConnection', async () => {
    if (!first) return
    first = false
    await admit.promise
    order.push('admitted')
  })
  a.method('mark', (req) => { order.push(`ran ${String(req.params)}`); return 'ok' })
  const to = await onSocket(t, a)
  const held = await RawHttp.open(to)
  held.write(rawPost(rpcLine(1, 'mark', ['held'])))
  // another connection is served meanwhile; by its answer the held request has been read too
  t.equal((await send(to, rpcLine(2, 'mark', ['other']))).json().result, 'ok')
  t.same(order, ['ran other'])
  admit.resolve()
  t.same(JSON.parse((await held.next()).body).result, 'ok')
  t.same(order, ['ran other', 'admitted', 'ran held'])
  held.socket.destroy()
})

t.test('a reply still being written when close() begins is finished, then the connection ends', async (t) => {
  const a = app(t)
  const answered = deferred()
  a.addHook('onResponse', async () => { answered.resolve() })
  const to = await onSocket(t, a)
  const c = await RawHttp.open(to)
  // far more than the socket buffers hold, to a client that does not read yet
  const big = 'y'.repeat(900 * 1024)
  c.socket.pause()
  c.write(rawPost(rpcLine(1, 'echo', [big])))
  await answered.promise
  const closed = a.close()
  c.socket.resume()
  const [r] = await c.count(1)
  t.equal(JSON.parse((r as { body: string }).body).result[0].length, big.length, 'every byte of it')
  await c.closed
  await closed
})

t.test('a malformed request behind one still running ends the connection: no answer can go out of turn', async (t) => {
  const a = linefy()
  t.teardown(() => a.close())
  const running = deferred()
  const aborted = deferred<unknown>()
  a.method('hang', (req) => new Promise(() => {
    req.signal.addEventListener('abort', () => aborted.resolve(req.signal.reason))
    running.resolve()
  }))
  const to = await onSocket(t, a)
  const c = await RawHttp.open(to)
  c.write(rawPost(rpcLine(1, 'hang')))
  await running.promise
  c.write('GARBAGE\r\n\r\n')
  await c.closed
  t.equal(c.responses.length, 0)
  t.match(await aborted.promise, { code: 'LINEFY_ERR_CLIENT_GONE' })
})

t.test('a client leaving mid-request is an ordinary disconnect, logged at debug like HTTP refusals; the daemon serves on', async (t) => {
  const { log, records } = captureLogger('debug')
  const a = linefy({ logger: log })
  a.register(demo)
  t.teardown(() => a.close())
  let accepted = deferred()
  let gone = deferred()
  a.addHook('onConnection', async () => { accepted.resolve() })
  a.addHook('onDisconnect', async () => { gone.resolve() })
  const to = await onTcp(a)
  const reset = await RawHttp.open(to)
  await accepted.promise
  reset.socket.resetAndDestroy()
  await gone.promise
  gone = deferred()
  accepted = deferred()
  const left = await RawHttp.open(to)
  left.write('POST / HTTP/1.1\r\nHost: localhost\r\n')
  left.socket.end()
  await gone.promise
  t.match(records.filter((r) => r.msg === 'client went away mid-request'), [
    { level: 20, err: { code: 'ECONNRESET' } },
    { level: 20, err: { code: 'HPE_INVALID_EOF_STATE' } }
  ])
  t.equal((await send(to, undefined, { method: 'GET', path: '/nope', headers: { host: `localhost:${to.port}` } })).status, 404)
  t.match(records.filter((r) => r.code === 'LINEFY_ERR_HTTP_NOT_FOUND'), [{ level: 20, msg: /nothing is served at \/nope/ }])
  t.same(records.filter((r) => r.level >= 40), [], 'nothing at warn or above')
})

t.test('an IPv6 listener is written with brackets and reached as [::1]', async (t) => {
  const a = app(t)
  await a.listen({ http: { host: '::1', port: 0 } })
  const address = a.addresses()[0] as string
  t.match(address, /^http:\/\/\[::1\]:\d+$/)
  t.equal((await send(tcpTarget(address), add, { headers: { host: `[::1]:${tcpTarget(address).port}` } })).json().result, 5)
})

t.test('listen({ http }) takes a path or host/port, and checks its options', async (t) => {
  await t.rejects(linefy().listen({ http: { path: '/tmp/x.sock', port: 1 } }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /path or host\/port/ })
  await t.rejects(linefy().listen({ path: '/tmp/x.sock', http: { port: 0 } }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /one of path, fd, stdio, host\/port or http/ })
  const bad: Array<[HttpOptions, RegExp]> = [
    [{ port: 0, endpoint: 'rpc' }, /endpoint must be a URL path/],
    [{ port: 0, healthEndpoint: '/h?x' }, /healthEndpoint must be a URL path/],
    [{ port: 0, headersTimeout: 0 }, /headersTimeout must be an integer >= 1/],
    [{ port: 0, maxConnections: 1.5 }, /maxConnections must be an integer >= 1/],
    [{ port: 0, headersTimeout: 5000, requestTimeout: 1000 }, /headersTimeout must not exceed requestTimeout \(1000\)/],
    [{ port: 0, allowedHosts: 'localhost' as unknown as string[] }, /allowedHosts must be an array/],
    [{ port: 0, allowedHosts: ['host:80'] }, /without a port/],
    [{ port: 0, allowedHosts: [''] }, /without a port/],
    [{ port: 0, allowedHosts: [42 as unknown as string] }, /got 42/],
    [{ port: 70000 }, /port must be an integer from 0 to 65535/],
    [{ path: '' }, /path must be a socket file path/]
  ]
  for (const [opts, message] of bad) await t.rejects(linefy().listen({ http: opts }), { code: 'LINEFY_ERR_INVALID_OPTION', message }, JSON.stringify(opts))
})

t.test('an HTTP listener beside a line socket: one method table, one activity count', async (t) => {
  const a = app(t)
  const dir = tempDir(t)
  a.register(http, { path: join(dir, 'h.sock') })
  await a.listen({ path: join(dir, 'd.sock') })
  const line = await connect(join(dir, 'd.sock'), t)
  t.same((await line.call('add', { a: 1, b: 2 })).result, 3)
  t.same((await send({ socketPath: join(dir, 'h.sock') }, add)).json().result, 5)
  t.same(a.addresses(), [`http+unix:${join(dir, 'h.sock')}`, join(dir, 'd.sock')])
})
