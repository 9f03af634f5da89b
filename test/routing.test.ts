import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy, { type LinefyInstance, type LinefyOptions } from '../index.js'
import { captureLogger, deferred, rpc, injectLines, tempDir } from './helpers/util.js'
import { connect, socketPair } from './helpers/wire.js'

function app (t: Test, opts: LinefyOptions = {}) {
  const a = linefy(opts)
  t.teardown(() => a.close())
  a.method('echo', (req) => req.params ?? 'no params')
  return a
}

/** A batch is one line holding an array; inject() with an array would send separate lines. */
async function batch (a: LinefyInstance, msgs: unknown[]) {
  return (await injectLines(a, [JSON.stringify(msgs)]))[0] as unknown
}

t.test('a line that is not JSON answers -32700 with id null', async (t) => {
  const [reply] = await injectLines(app(t), ['{"jsonrpc":"2.0","id":1,'])
  t.match(reply, { jsonrpc: '2.0', id: null, error: { code: -32700, message: /^parse error: / } })
})

t.test('a line that is not valid UTF-8 answers -32700 and the next line is still served', async (t) => {
  const a = app(t)
  await a.ready()
  const sock = socketPair()
  a.serve(sock.server)
  t.teardown(() => sock.server.destroy())
  sock.send(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"echo","params":["'), Buffer.from([0xff]), Buffer.from('"]}\n')]))
  sock.send(JSON.stringify(rpc(2, 'echo', [2])) + '\n')
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: line is not valid UTF-8' } })
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 2, result: [2] })
})

t.test('an envelope that is not a JSON-RPC request answers -32600, echoing a valid id', async (t) => {
  const a = app(t)
  const cases: Array<[string, unknown, string | RegExp]> = [
    ['5', null, 'request must be a JSON object'],
    ['"text"', null, 'request must be a JSON object'],
    ['null', null, 'request must be a JSON object'],
    ['{"id":3,"method":"echo"}', 3, "jsonrpc must be '2.0'"],
    ['{"jsonrpc":"1.0","id":"a","method":"echo"}', 'a', "jsonrpc must be '2.0'"],
    ['{"jsonrpc":"2.0","id":true,"method":"echo"}', null, 'id must be a string, a number or null'],
    ['{"jsonrpc":"2.0","id":{"x":1},"method":"echo"}', null, 'id must be a string, a number or null'],
    ['{"jsonrpc":"2.0","id":4,"method":7}', 4, 'method must be a string'],
    ['{"jsonrpc":"2.0","id":5,"method":"echo","params":3}', 5, 'params must be object or array'],
    ['{"jsonrpc":"2.0","id":6,"method":"echo","params":null}', 6, 'params must be object or array'],
    ['{"jsonrpc":"2.0","id":7}', 7, 'method must be a string'],
    ['{"jsonrpc":"2.0","result":1}', null, 'method must be a string']
  ]
  const replies = await injectLines(a, cases.map(([line]) => line))
  cases.forEach(([line, id, message], i) => {
    t.same(replies[i], { jsonrpc: '2.0', id, error: { code: -32600, message } }, line)
  })
})

t.test('lines still waiting their turn at the close() deadline are refused -32005 with the id a reply to them would echo: null for one that is not a request', async (t) => {
  const a = app(t, { closeGraceMs: 20 })
  const held = deferred()
  a.method('hold', () => { held.resolve(); return new Promise(() => {}) })
  await a.ready()
  const sock = socketPair()
  a.serve(sock.server)
  t.teardown(() => sock.server.destroy())
  const waiting = ['null', '5', '"text"', '[{"jsonrpc":"2.0","id":3,"method":"echo"}]', '{"jsonrpc":"2.0","id":true,"method":"echo"}', '{"method":"echo"}', '{"jsonrpc":"2.0","id":2,"method":"echo"}', '{"jsonrpc":"2.0","method":"echo"}', '{"jsonrpc":"2.0","id":4,"method":"echo"}']
  sock.send([JSON.stringify(rpc(1, 'hold')), ...waiting].join('\n') + '\n')
  await held.promise
  const closed = a.close()
  const shuttingDown = { code: -32005, message: 'server shutting down' }
  t.same(await sock.lines.end(), [1, null, null, null, null, null, null, 2, 4].map((id) => ({ jsonrpc: '2.0', id, error: shuttingDown })), 'the notification gets no reply; a line without "jsonrpc" is no notification')
  await closed
})

t.test('seed mode: a request without params reaches the handler as {}, over a real socket; [] stays an array', async (t) => {
  const seen: unknown[] = []
  const path = join(tempDir(t), 'd.sock')
  const a = linefy({ compat: 'seed' })
  a.method('look', (req) => {
    seen.push(req.params)
    return (req.params as Record<string, unknown>).cue ?? 'no cue'
  })
  t.teardown(() => a.close())
  await a.listen({ path })
  const c = await connect(path, t)
  c.send('{"jsonrpc":"2.0","id":1,"method":"look"}')
  c.send('{"jsonrpc":"2.0","id":2,"method":"look","params":[]}')
  c.send('{"jsonrpc":"2.0","id":3,"method":"look","params":{"cue":"x"}}')
  t.same([await c.lines.next(), await c.lines.next(), await c.lines.next()], [
    { jsonrpc: '2.0', id: 1, result: 'no cue' },
    { jsonrpc: '2.0', id: 2, result: 'no cue' },
    { jsonrpc: '2.0', id: 3, result: 'x' }
  ])
  t.same(seen, [{}, [], { cue: 'x' }])
})

t.test('spec mode: a request without params reaches the handler as undefined', async (t) => {
  t.same(await app(t).inject(rpc(1, 'echo')), { jsonrpc: '2.0', id: 1, result: 'no params' })
})

t.test('an unknown method answers -32601 naming it', async (t) => {
  t.same(await app(t).inject(rpc(1, 'nope')), { jsonrpc: '2.0', id: 1, error: { code: -32601, message: "unknown method 'nope'" } })
})

t.test('spec mode: a notification runs and gets no reply, even when it fails or is unknown', async (t) => {
  const a = app(t)
  const seen: string[] = []
  a.method('note', (req) => { seen.push(String(req.isNotification)) })
  a.method('fails', () => { throw new Error('x') })
  const replies = await injectLines(a, [rpc(undefined, 'note'), rpc(undefined, 'fails'), rpc(undefined, 'unknown'), rpc(1, 'echo', [1])])
  t.same(replies, [undefined, undefined, undefined, { jsonrpc: '2.0', id: 1, result: [1] }])
  t.same(seen, ['true'])
})

t.test('spec mode: id null is a request and is answered with id null', async (t) => {
  t.same(await app(t).inject(rpc(null, 'echo', [1])), { jsonrpc: '2.0', id: null, result: [1] })
})

t.test('spec mode: a batch gets an array of replies in request order, notifications omitted', async (t) => {
  const a = app(t)
  const first = deferred()
  a.method('slowFirst', async () => { await first.promise; return 'first' })
  a.method('fast', () => { first.resolve(); return 'fast' })
  const reply = await batch(a, [rpc(1, 'slowFirst'), rpc(undefined, 'echo'), rpc(2, 'fast'), rpc(3, 'nope')])
  t.same(reply, [
    { jsonrpc: '2.0', id: 1, result: 'first' },
    { jsonrpc: '2.0', id: 2, result: 'fast' },
    { jsonrpc: '2.0', id: 3, error: { code: -32601, message: "unknown method 'nope'" } }
  ])
})

t.test('spec mode: a batch of notifications only gets no reply', async (t) => {
  t.equal(await batch(app(t), [rpc(undefined, 'echo'), rpc(undefined, 'echo')]), undefined)
})

t.test('spec mode: a batch entry that is not a request answers -32600 in its place', async (t) => {
  const reply = await batch(app(t), [[rpc(1, 'echo')], 5, null, { type: 'status' }, rpc(2, 'echo', [2])])
  t.same(reply, [
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request must be a JSON object' } },
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request must be a JSON object' } },
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request must be a JSON object' } },
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: "jsonrpc must be '2.0'" } },
    { jsonrpc: '2.0', id: 2, result: [2] }
  ])
})

t.test('an empty batch answers -32600', async (t) => {
  t.same(await batch(app(t), []), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'batch must not be empty' } })
})

t.test('a batch over maxBatch answers -32600 without running any of it', async (t) => {
  const a = app(t, { maxBatch: 2 })
  let ran = 0
  a.method('count', () => { ran++ })
  const reply = await batch(a, [rpc(1, 'count'), rpc(2, 'count'), rpc(3, 'count')])
  t.match(reply, { id: null, error: { code: -32600, message: /batch of 3 requests exceeds maxBatch \(2\)/ } })
  t.equal(ran, 0)
  t.equal((await batch(a, [rpc(1, 'count'), rpc(2, 'count')]) as unknown[]).length, 2, 'a batch at the limit runs')
})

t.test('seed mode: id is required and non-null', async (t) => {
  const a = app(t, { compat: 'seed' })
  const replies = await injectLines(a, [rpc(undefined, 'echo'), rpc(null, 'echo'), rpc(1, 'echo', [1])])
  const refused = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'id required and non-null' } }
  t.same(replies, [refused, refused, { jsonrpc: '2.0', id: 1, result: [1] }])
})

t.test('seed mode: a batch answers -32600', async (t) => {
  t.same(await batch(app(t, { compat: 'seed' }), [rpc(1, 'echo')]), {
    jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request must be a JSON object' }
  })
})

t.test('seed mode: a handler failure is -32001, including what spec mode calls -32603', async (t) => {
  const a = app(t, { compat: 'seed' })
  a.method('big', () => 1n)
  a.method('throws', () => { throw new Error('bad') })
  t.equal((await a.inject(rpc(1, 'big')))?.error?.code, -32001)
  t.equal((await a.inject(rpc(2, 'throws')))?.error?.code, -32001)
})

t.test('a line shaped {type} without jsonrpc goes to the control table and gets a plain object back', async (t) => {
  const a = app(t)
  a.control('status', (msg, conn) => ({ ok: true, asked: msg, conn: typeof conn.id }))
  a.control('later', async () => ({ ok: 'async' }))
  t.same(await a.inject({ type: 'status', x: 1 }), { ok: true, asked: { type: 'status', x: 1 }, conn: 'number' })
  t.same(await a.inject({ type: 'later' }), { ok: 'async' })
})

t.test('the control table serves seed mode too', async (t) => {
  const a = app(t, { compat: 'seed' })
  a.control('status', () => ({ ok: true }))
  t.same(await a.inject({ type: 'status' }), { ok: true })
})

t.test('a line with both jsonrpc and type is a JSON-RPC request', async (t) => {
  const a = app(t)
  a.control('echo', () => ({ control: true }))
  t.same(await a.inject({ ...rpc(1, 'echo', [1]), type: 'echo' }), { jsonrpc: '2.0', id: 1, result: [1] })
})

t.test('a control handler returning nothing sends no reply', async (t) => {
  const a = app(t)
  a.control('quiet', () => undefined)
  a.control('nil', async () => null)
  // strictSame: a reply of `null` would pass a loose comparison with undefined
  t.strictSame(await injectLines(a, [{ type: 'quiet' }, { type: 'nil' }, rpc(1, 'echo')]), [undefined, undefined, { jsonrpc: '2.0', id: 1, result: 'no params' }])
})

t.test('a failing control handler answers {ok:false, reason:"control_error"}', async (t) => {
  const a = app(t)
  a.control('throws', () => { throw new Error('x'.repeat(300)) })
  a.control('rejects', async () => { throw new Error('lock busy') })
  a.control('rejectsWithString', () => Promise.reject('plain'))
  a.control('circular', () => { const o: Record<string, unknown> = {}; o.self = o; return o })
  const [thrown, rejected, str, circular] = await injectLines(a, [{ type: 'throws' }, { type: 'rejects' }, { type: 'rejectsWithString' }, { type: 'circular' }])
  t.same(thrown, { ok: false, reason: 'control_error', error: 'x'.repeat(200) }, 'the message is cut at 200 characters')
  t.same(rejected, { ok: false, reason: 'control_error', error: 'lock busy' })
  t.same(str, { ok: false, reason: 'control_error', error: 'handler failed with a non-error value: plain' }, 'through the error mapper, as a method failure would be')
  t.match(circular, { ok: false, reason: 'control_error', error: /circular/i })
})

t.test('an unknown control type answers -32600', async (t) => {
  const a = app(t)
  t.same(await a.inject({ type: 'reboot' }), { jsonrpc: '2.0', id: null, error: { code: -32600, message: "unknown control type 'reboot'" } })
  t.equal((await a.inject({ type: 5 }))?.error?.code, -32600, 'a non-string type is unknown too')
})

t.test('lines still waiting on their connection when close() begins run, in order', async (t) => {
  const a = linefy()
  const busy = deferred()
  const running = deferred()
  let ran = 0
  a.method('busy', () => { running.resolve(); return busy.promise })
  a.method('after', () => { ran++ })
  // drain begins right after the last preClose hook; release the busy handler only once it has
  a.addHook('preClose', () => { setImmediate(busy.resolve) })
  const replies = injectLines(a, [rpc(1, 'busy'), rpc(2, 'after'), rpc(undefined, 'after'), '7', '{"type":"status"}'])
  await running.promise
  const closed = a.close()
  t.same(await replies, [
    { jsonrpc: '2.0', id: 1, result: null },
    { jsonrpc: '2.0', id: 2, result: null },
    undefined,
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request must be a JSON object' } },
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: "unknown control type 'status'" } }
  ], 'each got the answer it would have got without the close')
  t.equal(ran, 2, 'the request and the notification both ran')
  await closed
})

t.test('a failing control handler is logged at error with its control type', async (t) => {
  const { log, records } = captureLogger('info')
  const a = app(t, { logger: log })
  a.control('throws', () => { throw new Error('disk on fire') })
  await injectLines(a, [{ type: 'throws' }])
  t.match(records.filter((r) => r.level >= 50), [{ level: 50, msg: 'control handler failed', control: 'throws', err: { message: 'disk on fire' } }])
})
