import t, { type Test } from 'tap'
import linefy, { demo, type LinefyInstance } from '../index.js'
import { RawHttp, rawPost, rpcLine, send, tcpTarget } from './helpers/http-kit.js'
import { deferred } from './helpers/util.js'

const add = rpcLine(1, 'add', { a: 2, b: 3 })

/** The demo methods over HTTP on TCP, counting every request that reached the pipeline. */
async function served (t: Test, opts: Record<string, unknown> = {}): Promise<{ app: LinefyInstance, to: { host: string, port: number }, ran: () => number, gone: Promise<void> }> {
  const app = linefy()
  app.register(demo)
  let ran = 0
  app.addHook('onRequest', () => { ran++ })
  const left = deferred()
  app.addHook('onDisconnect', () => left.resolve())
  t.teardown(() => app.close())
  await app.listen({ http: { port: 0, ...opts } })
  return { app, to: tcpTarget(app.addresses()[0] as string), ran: () => ran, gone: left.promise }
}

t.test('bad Content-Length, request smuggling and malformed heads: 400, the connection closed, nothing run', async (t) => {
  const { to, ran } = await served(t)
  const host = `Host: 127.0.0.1:${to.port}\r\nContent-Type: application/json\r\n`
  const smuggled = rawPost(rpcLine(9, 'echo', ['smuggled']))
  const cases: Array<[string, string, RegExp]> = [
    ['a negative length', `POST / HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n${add}`, /HPE_INVALID_CONTENT_LENGTH/],
    ['a length that is not a number', `POST / HTTP/1.1\r\n${host}Content-Length: 4x\r\n\r\n${add}`, /HPE_INVALID_CONTENT_LENGTH/],
    ['a length past 2^64', `POST / HTTP/1.1\r\n${host}Content-Length: 99999999999999999999999\r\n\r\n${add}`, /HPE_INVALID_CONTENT_LENGTH/],
    ['two lengths that differ', `POST / HTTP/1.1\r\n${host}Content-Length: ${add.length}\r\nContent-Length: 4\r\n\r\n${add}`, /HPE_UNEXPECTED_CONTENT_LENGTH/],
    ['two equal lengths', `POST / HTTP/1.1\r\n${host}Content-Length: ${add.length}\r\nContent-Length: ${add.length}\r\n\r\n${add}`, /HPE_UNEXPECTED_CONTENT_LENGTH/],
    ['Content-Length with Transfer-Encoding, a request hidden behind', `POST / HTTP/1.1\r\n${host}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`, /HPE_INVALID_TRANSFER_ENCODING/],
    ['an obfuscated Transfer-Encoding', `POST / HTTP/1.1\r\n${host}Transfer-Encoding: chunked, identity\r\n\r\n${add.length.toString(16)}\r\n${add}\r\n0\r\n\r\n`, /HPE_INVALID_TRANSFER_ENCODING/],
    ['a body shorter than its length, then a half-close', `POST / HTTP/1.1\r\n${host}Content-Length: ${add.length + 10}\r\n\r\n${add}`, /HPE_INVALID_EOF_STATE/],
    ['bare \\n line ends', rawPost(add).replaceAll('\r\n', '\n'), /HPE_/],
    ['a NUL in a header', `POST / HTTP/1.1\r\n${host}X-A: a\0b\r\nContent-Length: ${add.length}\r\n\r\n${add}`, /HPE_INVALID_HEADER_TOKEN/]
  ]
  for (const [what, raw, reason] of cases) {
    const c = await RawHttp.open(to)
    c.write(raw)
    if (what.includes('half-close')) c.socket.end()
    const r = await c.next()
    t.match(r, { status: 400, headers: { connection: 'close' } }, what)
    t.match(JSON.parse(r.body), { error: { code: 'LINEFY_ERR_HTTP_BAD_REQUEST', message: reason } }, what)
    await c.closed
    t.equal(c.responses.length, 1, `${what}: one answer, nothing for what followed`)
  }
  const noHost = await RawHttp.open(to)
  noHost.write(rawPost(add).replace('Host: localhost\r\n', ''))
  t.match(await noHost.next(), { status: 400, headers: { connection: 'close' } }, 'HTTP/1.1 without Host: 400 from node itself')
  await noHost.closed
  t.equal(ran(), 0, 'not one of them reached a method, the smuggled one included')
  t.equal((await send(to, add)).json().result, 5, 'the daemon serves on')
})

t.test('a half-close is the client leaving, as node:http takes it: what still runs is aborted, nothing written, the daemon serves on', async (t) => {
  // HTTP clients (curl, node, browsers) keep their write side open until they
  // have read the reply; unlike a line socket, a FIN here cannot be told from
  // a client that went away without a write probe
  const { app, to, gone } = await served(t)
  const c = await RawHttp.open(to)
  c.write(rawPost(rpcLine(1, 'sleep', { ms: 60_000 })).replace('localhost', `127.0.0.1:${to.port}`))
  await new Promise<void>((resolve) => { const check = (): void => { app.activity.inFlight === 1 ? resolve() : setImmediate(check) }; check() })
  c.socket.end()
  await c.closed
  await gone
  t.same(c.responses, [], 'no reply: the request was aborted (LINEFY_ERR_CLIENT_GONE)')
  t.same([app.activity.connections, app.activity.inFlight], [0, 0], 'its slot freed at once, not after 60 s')
  t.equal((await send(to, add)).json().result, 5)
})

t.test('slowloris at scale: 200 connections dripping headers are each cut off with 408; a new client is served', async (t) => {
  const { app, to } = await served(t, { headersTimeout: 300 })
  const clients = await Promise.all(Array.from({ length: 200 }, () => RawHttp.open(to)))
  for (const c of clients) c.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${to.port}\r\nX-Slow: ${'s'.repeat(4096)}`)
  const started = Date.now()
  const replies = await Promise.all(clients.map(async (c) => { const r = await c.next(); await c.closed; return r.status }))
  t.same(new Set(replies), new Set([408]), `all 200 answered 408 and closed, ${Date.now() - started} ms after the last header byte`)
  t.equal(app.activity.connections, 0)
  t.equal((await send(to, add)).json().result, 5)
})
