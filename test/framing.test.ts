import t, { type Test } from 'tap'
import linefy, { contentLength, ndjson, plugin, type LinefyInstance, type LinefyOptions } from '../index.js'
import { captureLogger, rpc, injectLines } from './helpers/util.js'
import { socketPair } from './helpers/wire.js'

type Setup = (app: LinefyInstance) => void

/** The same pipeline behaviour, whatever framing carries it. */
function pipelineSuite (t: Test, setup: Setup) {
  const make = (opts: LinefyOptions = {}) => {
    const app = linefy(opts)
    t.teardown(() => app.close())
    setup(app)
    app.method('echo', (req) => req.params)
    app.control('status', () => ({ ok: true }))
    return app
  }

  t.test('answers a call', async (t) => {
    t.same(await make().inject(rpc(1, 'echo', { a: 'ü' })), { jsonrpc: '2.0', id: 1, result: { a: 'ü' } })
  })

  t.test('answers several messages on one connection in order', async (t) => {
    const replies = await injectLines(make(), [rpc(1, 'echo', [1]), rpc(undefined, 'echo'), { type: 'status' }, 'nope', JSON.stringify([rpc(2, 'echo', [2])])])
    t.same(replies.length, 5)
    t.same(replies[0], { jsonrpc: '2.0', id: 1, result: [1] })
    t.equal(replies[1], undefined)
    t.same(replies[2], { ok: true })
    t.match(replies[3], { jsonrpc: '2.0', id: null, error: { code: -32700, message: /^parse error: / } })
    t.same(replies[4], [{ jsonrpc: '2.0', id: 2, result: [2] }])
  })

  t.test('an over-long message answers -32600, is logged once with its size, and the next one is still served', async (t) => {
    const { log, records } = captureLogger('info')
    const app = make({ maxLineBytes: 64, logger: log })
    const replies = await injectLines(app, [rpc(1, 'echo', ['x'.repeat(100)]), rpc(2, 'echo', ['short'])])
    t.match(replies[0], { id: null, error: { code: -32600, message: /line exceeds maxLineBytes \(64 bytes\)/ } })
    t.same(replies[1], { jsonrpc: '2.0', id: 2, result: ['short'] })
    const warned = records.filter((r) => r.level === 40)
    t.match(warned, [{ msg: 'over-long line skipped', conn: Number }])
    t.ok(warned[0].bytes > 64, `with how many bytes it had (${warned[0].bytes})`)
  })

  t.test('a message of exactly maxLineBytes is accepted', async (t) => {
    const line = JSON.stringify(rpc(1, 'echo', ['']))
    const app = make({ maxLineBytes: Buffer.byteLength(line) })
    t.same(await injectLines(app, [line]), [{ jsonrpc: '2.0', id: 1, result: [''] }])
  })
}

t.test('NDJSON (the default framing)', async (t) => {
  pipelineSuite(t, () => {})

  t.test('accepts \\r\\n line endings and skips blank lines', async (t) => {
    const app = linefy()
    t.teardown(() => app.close())
    app.method('echo', (req) => req.params)
    const replies = await injectLines(app, [JSON.stringify(rpc(1, 'echo', [1])) + '\r', '', '  \t\r', JSON.stringify(rpc(2, 'echo', [2]))])
    t.same(replies, [{ jsonrpc: '2.0', id: 1, result: [1] }, undefined, undefined, { jsonrpc: '2.0', id: 2, result: [2] }])
  })

  t.test('reads lines split across and packed into chunks from a served stream', async (t) => {
    const app = linefy({ maxLineBytes: 64 })
    t.teardown(() => app.close())
    app.method('echo', (req) => req.params)
    await app.ready()
    const sock = socketPair()
    t.teardown(() => sock.server.destroy())
    app.serve(sock.server)
    const a = JSON.stringify(rpc(1, 'echo', [1]))
    const b = JSON.stringify(rpc(2, 'echo', [2]))
    sock.send(a.slice(0, 5))
    sock.send(a.slice(5) + '\r\n' + b.slice(0, 10))
    sock.send(b.slice(10) + '\n' + 'x'.repeat(40))
    sock.send('x'.repeat(40))
    sock.send('x'.repeat(40) + '\n' + JSON.stringify(rpc(3, 'echo', [3])) + '\n')
    t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, result: [1] })
    t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 2, result: [2] })
    t.match(await sock.lines.next(), { id: null, error: { code: -32600 } }, 'the partial line was cut off at the limit')
    t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 3, result: [3] }, 'resynchronised at the next newline')
  })

  t.test('a last line without its newline is served when the client ends', async (t) => {
    const app = linefy()
    t.teardown(() => app.close())
    app.method('echo', (req) => req.params)
    await app.ready()
    const sock = socketPair()
    app.serve(sock.server)
    sock.send(JSON.stringify(rpc(1, 'echo', [1])))
    sock.end()
    t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, result: [1] })
    await sock.ended
  })

  t.test('invalid UTF-8 is refused in one chunk, split across chunks, and as the last line at the end', async (t) => {
    const app = linefy()
    t.teardown(() => app.close())
    let ran = 0
    app.method('echo', (req) => { ran++; return req.params })
    await app.ready()
    const [head, tail] = [Buffer.from('{"jsonrpc":"2.0","id":1,"method":"echo","params":["'), Buffer.from('\xff"]}', 'latin1')]
    const ok = (id: number) => Buffer.from(JSON.stringify(rpc(id, 'echo', [id])) + '\n')
    const sock = socketPair()
    app.serve(sock.server)
    const refused = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: line is not valid UTF-8' } }
    sock.send(Buffer.concat([head, tail, Buffer.from('\n')]))
    t.same(await sock.lines.next(), refused, 'in one chunk')
    // each valid line's reply shows its chunk was read, so the next write is a chunk of its own
    sock.send(Buffer.concat([ok(2), head]))
    t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 2, result: [2] })
    sock.send(Buffer.concat([tail, Buffer.from('\n'), ok(3), head]))
    t.same(await sock.lines.next(), refused, 'split across chunks')
    t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 3, result: [3] })
    sock.send(tail)
    sock.end()
    t.same(await sock.lines.next(), refused, 'the last line, split, at the end')
    await sock.ended
    t.equal(ran, 2, 'only the valid lines ran: none with its bytes replaced')
  })

  t.test('registering ndjson after another framing restores it', async (t) => {
    const app = linefy()
    t.teardown(() => app.close())
    app.register(contentLength)
    app.register(ndjson)
    app.method('echo', (req) => req.params)
    await app.ready()
    const sock = socketPair()
    t.teardown(() => sock.server.destroy())
    app.serve(sock.server)
    sock.send(JSON.stringify(rpc(1, 'echo', [1])) + '\n')
    t.equal(await sock.lines.nextLine(), '{"jsonrpc":"2.0","id":1,"result":[1]}')
  })
})

t.test('Content-Length framing, swapped in with one register call', async (t) => {
  pipelineSuite(t, (app) => { app.register(contentLength) })

  t.test('frames replies with a Content-Length header counting bytes', async (t) => {
    const app = linefy()
    t.teardown(() => app.close())
    app.register(contentLength)
    app.method('echo', (req) => req.params)
    await app.ready()
    const sock = socketPair()
    t.teardown(() => sock.server.destroy())
    const body = JSON.stringify(rpc(1, 'echo', ['ü']))
    const reply = '{"jsonrpc":"2.0","id":1,"result":["ü"]}'
    const expected = `Content-Length: ${Buffer.byteLength(reply)}\r\n\r\n${reply}`
    app.serve(sock.server)
    sock.send(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    t.equal(await sock.lines.output((out) => out.length >= expected.length), expected)
  })

  t.test('a message without a Content-Length header answers -32700, is logged with why, and ends the connection', async (t) => {
    const { log, records } = captureLogger('info')
    const app = linefy({ logger: log })
    t.teardown(() => app.close())
    app.register(plugin(async (a) => { await a.register(contentLength) }))
    app.method('echo', (req) => req.params)
    await app.ready()
    const sock = socketPair()
    const conn = app.serve(sock.server)
    const body = JSON.stringify(rpc(1, 'echo', [1]))
    sock.send(`Content-Length: ${body.length}\r\n\r\n${body}Content-Type: application/json\r\n\r\n{}`)
    await sock.ended
    sock.server.destroy()
    const text = await sock.lines.output(() => true)
    const [first, second] = text.split(/Content-Length: \d+\r\n\r\n/).slice(1).map((m) => JSON.parse(m))
    t.same(first, { jsonrpc: '2.0', id: 1, result: [1] }, 'the message before it is answered first')
    t.match(second, { id: null, error: { code: -32700, message: 'malformed frame: missing Content-Length header' } })
    t.match(records.filter((r) => r.level === 40), [{ msg: 'malformed frame; closing the connection', reason: 'missing Content-Length header', conn: conn.id }])
    t.equal(conn.framesRead, 2, 'both frames are counted')
    t.equal(conn.pending, 0, 'and both answered')
  })
})

t.test('setFraming takes a framing before ready() only', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  t.throws(() => app.setFraming({ name: 'half' } as never), { code: 'LINEFY_ERR_INVALID_OPTION', message: /must have encode\(\) and decoder\(\)/ })
  t.throws(() => app.setFraming(null as never), { code: 'LINEFY_ERR_INVALID_OPTION' })
  await app.ready()
  t.throws(() => app.register(contentLength), { code: 'LINEFY_ERR_PLUGIN_LOADED' })
  t.throws(() => app.setFraming({ name: 'x', encode: (s: string) => s, decoder: () => ({ push () {}, end () {} }) }), { code: 'LINEFY_ERR_INSTANCE_STARTED', message: /set a framing after ready/ })
})
