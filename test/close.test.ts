// app.close() in process: the drain, the grace period and what a client sees
// of each (the signals that start it in a real daemon: shutdown.test.ts)
import { existsSync } from 'node:fs'
import net, { type Socket } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy, { type Connection, type LinefyInstance, type LinefyOptions } from '../index.js'
import { captureLogger, deferred, tempDir, waitFor } from './helpers/util.js'
import { chunkStream, connect } from './helpers/wire.js'
interface Held { started: Promise<void>, release: () => void, signal: Promise<AbortSignal> }

/** An app whose `hold` method runs until the test releases it. */
async function daemon (t: Test, opts: LinefyOptions = {}): Promise<{ app: LinefyInstance, path: string, held: Held, conns: Connection[], echoed: unknown[] }> {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy(opts)
  const started = deferred()
  const released = deferred()
  const signal = deferred<AbortSignal>()
  const conns: Connection[] = []
  app.addHook('onConnection', async (conn) => { conns.push(conn) })
  app.method('hold', async (req) => {
    signal.resolve(req.signal)
    started.resolve()
    await released.promise
    return 'held'
  })
  const echoed: unknown[] = []
  app.method('echo', async (req) => {
    echoed.push(req.params)
    return req.params
  })
  t.teardown(() => { released.resolve(); return app.close() })
  await app.listen({ path })
  return { app, path, held: { started: started.promise, release: () => released.resolve(), signal: signal.promise }, conns, echoed }
}

const HOLD = { jsonrpc: '2.0', id: 1, method: 'hold' }

t.test('close() lets an in-flight request finish, flushes its reply, then runs onClose and removes the socket', async (t) => {
  const { app, path, held, conns } = await daemon(t)
  const onClose = deferred()
  app.addHook('onClose', async () => onClose.resolve())
  const c = await connect(path, t)
  c.send(HOLD)
  await held.started
  const closing = app.close()
  held.release()
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 1, result: 'held' })
  t.same(await c.lines.end(), [], 'then the connection ends')
  t.equal(conns[0].notify('late'), false, 'nothing more can be pushed to it')
  await closing
  await onClose.promise
  t.notOk(existsSync(path))
  t.equal((await held.signal).aborted, false, 'a request that finished in time is never aborted')
})

t.test('idle connections end at once, while a busy one still runs', async (t) => {
  const { app, path, held } = await daemon(t)
  const busy = await connect(path, t)
  const idle = await connect(path, t)
  t.same((await idle.call('echo', [1])).result, [1])
  busy.send(HOLD)
  await held.started
  const closing = app.close()
  t.same(await idle.lines.end(), [], 'the idle client sees the end before the busy request is done')
  held.release()
  t.same((await busy.lines.next()).result, 'held')
  await closing
})

t.test('lines read before close began run in order; lines sent after close began are not read, and nothing is logged above info', async (t) => {
  const { log, records } = captureLogger('info')
  const { app, path, held, conns, echoed } = await daemon(t, { logger: log })
  const c = await connect(path, t)
  c.socket.write([
    HOLD,
    { jsonrpc: '2.0', id: 2, method: 'echo', params: [2] },
    { jsonrpc: '2.0', method: 'echo', params: ['a notification gets no reply'] },
    { jsonrpc: '2.0', id: 3, method: 'echo', params: [3] }
  ].map((m) => JSON.stringify(m) + '\n').join(''))
  await held.started
  t.equal(conns[0].framesRead, 4, 'all four lines were read in one go')
  const closing = app.close()
  c.send({ jsonrpc: '2.0', id: 4, method: 'echo', params: [4] })
  held.release()
  t.same([await c.lines.next(), await c.lines.next(), await c.lines.next()], [
    { jsonrpc: '2.0', id: 1, result: 'held' },
    { jsonrpc: '2.0', id: 2, result: [2] },
    { jsonrpc: '2.0', id: 3, result: [3] }
  ])
  t.same(await c.lines.end(), [], 'nothing for the line sent after close began, and the connection ends')
  await closing
  t.same(echoed, [[2], ['a notification gets no reply'], [3]], 'the notification ran too, in its turn; [4] never did')
  t.same(records.filter((r) => r.level > 30), [], 'the unread line is discarded quietly')
})

t.test('past closeGraceMs, what runs is aborted and the lines still waiting are refused -32005, unrun', async (t) => {
  const { app, path, held, conns, echoed } = await daemon(t, { closeGraceMs: 50 })
  const c = await connect(path, t)
  c.socket.write([HOLD, { jsonrpc: '2.0', id: 2, method: 'echo' }, { jsonrpc: '2.0', id: 3, method: 'echo' }].map((m) => JSON.stringify(m) + '\n').join(''))
  await held.started
  t.equal(conns[0].framesRead, 3)
  const closing = app.close()
  const shuttingDown = { code: -32005, message: 'server shutting down' }
  t.same([await c.lines.next(), await c.lines.next(), await c.lines.next()], [
    { jsonrpc: '2.0', id: 1, error: shuttingDown },
    { jsonrpc: '2.0', id: 2, error: shuttingDown },
    { jsonrpc: '2.0', id: 3, error: shuttingDown }
  ])
  t.same(await c.lines.end(), [])
  await closing
  t.same(echoed, [], 'the waiting lines never ran')
})

for (const perConnection of [1, 2]) {
  t.test(`a line that reaches a connection after close began (a trailing line flushed at EOF) is refused -32005, never run, with a slot free or not (perConnection ${perConnection})`, async (t) => {
    const { app, path, held, conns, echoed } = await daemon(t, { perConnection })
    const c = await connect(path, t)
    c.send(HOLD)
    await held.started
    const draining = deferred()
    // drain begins right after the last preClose hook
    app.addHook('preClose', () => { setImmediate(draining.resolve) })
    const closing = app.close()
    await draining.promise
    t.equal(conns[0].closing, true)
    // what the framing hands over when it flushes the last line without its newline
    conns[0].push(Buffer.from('{"jsonrpc":"2.0","id":2,"method":"echo"}\n'))
    held.release()
    // with a slot free the refusal need not wait for the reply ahead of it
    t.same((await c.lines.count(2)).map((l) => JSON.parse(l)).sort((a, b) => a.id - b.id), [
      { jsonrpc: '2.0', id: 1, result: 'held' },
      { jsonrpc: '2.0', id: 2, error: { code: -32005, message: 'server shutting down' } }
    ])
    await closing
    t.same(echoed, [])
  })
}

t.test('after closeGraceMs what still runs is aborted and answered -32005', async (t) => {
  const { app, path, held } = await daemon(t, { closeGraceMs: 50 })
  const c = await connect(path, t)
  c.send(HOLD)
  await held.started
  const signal = await held.signal
  const closing = app.close()
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 1, error: { code: -32005, message: 'server shutting down' } })
  t.equal(signal.aborted, true)
  t.match(signal.reason, { code: 'LINEFY_ERR_SHUTTING_DOWN' })
  t.same(await c.lines.end(), [])
  await closing
  t.equal(app.activity.inFlight, 0)
  t.equal(app.activity.connections, 0)
})

t.test('a client that never reads cannot hold close() up past the grace period', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy({ closeGraceMs: 20 })
  const big = 'x'.repeat(64 * 1024)
  app.method('big', async () => big)
  const done = deferred()
  app.addHook('onResponse', async () => done.resolve())
  t.teardown(() => app.close())
  await app.listen({ path })
  const c = await connect(path, t)
  c.socket.pause()
  for (let i = 0; i < 64; i++) c.send({ jsonrpc: '2.0', id: i, method: 'big' })
  await done.promise
  await app.close()
  t.equal(app.activity.connections, 0, 'the stuck connection was destroyed')
  t.notOk(existsSync(path))
})

t.test('a client that floods garbage and never reads is cut off after the grace period', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy({ closeGraceMs: 20 })
  const first = deferred<Connection>()
  app.addHook('onConnection', async (conn) => first.resolve(conn))
  t.teardown(() => app.close())
  await app.listen({ path })
  const c = await connect(path, t)
  c.socket.pause()
  c.socket.write('not json\n'.repeat(100_000))
  const conn = await first.promise
  // the daemon pauses once its replies back up
  await waitFor(conn.stream as Socket, 'pause')
  await app.close()
  t.equal(app.activity.connections, 0)
})

t.test('a connection handed to app.serve() after close() began is ended at once, unread', async (t) => {
  const path = join(tempDir(t), 'user.sock')
  const app = linefy()
  let ran = 0
  app.method('echo', async () => { ran++ })
  await app.ready()
  // a transport of the user's own, over app.serve()
  const server = net.createServer({ allowHalfOpen: true }, (socket) => { app.serve(socket) })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  t.teardown(() => server.close())
  await app.close()
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 1, method: 'echo' })
  t.same(await c.lines.end(), [])
  t.equal(ran, 0)
})

t.test('close() while an inject() waits for its request: the inject gets its reply, then close() resolves', async (t) => {
  const { app, held } = await daemon(t)
  const injected = app.inject(HOLD)
  await held.started
  const closing = app.close()
  held.release()
  t.same(await injected, { jsonrpc: '2.0', id: 1, result: 'held' })
  await closing
  t.equal(app.activity.connections, 0)
})

t.test('what a client sends while its connection ends is discarded: not run, not answered, not an error', async (t) => {
  const { log, records } = captureLogger('info')
  const app = linefy({ logger: log })
  const release = deferred()
  const started = deferred()
  app.method('hold', async () => { started.resolve(); await release.promise; return 'held' })
  let ran = 0
  app.method('echo', () => { ran++ })
  t.teardown(() => app.close())
  await app.ready()
  const sock = chunkStream()
  const conn = app.serve(sock.server)
  sock.push(JSON.stringify(HOLD) + '\n')
  await started.promise
  const draining = deferred()
  // drain begins right after the last preClose hook
  app.addHook('preClose', () => { setImmediate(draining.resolve) })
  const closing = app.close()
  await draining.promise
  t.equal(conn.closing, true)
  // read only once the connection ends, after the reply to HOLD
  sock.push('{"jsonrpc":"2.0","id":2,"method":"echo"}\n')
  release.resolve()
  t.same(await sock.lines.end(), [{ jsonrpc: '2.0', id: 1, result: 'held' }])
  await closing
  t.equal(ran, 0)
  t.same(records.filter((r) => r.level > 30), [])
})

t.test('past closeGraceMs every request still running is answered -32005, however many run at once', async (t) => {
  const app = linefy({ closeGraceMs: 20, perConnection: 3 })
  let running = 0
  const all = deferred()
  app.method('stuck', () => new Promise(() => { if (++running === 3) all.resolve() }))
  t.teardown(() => app.close())
  await app.ready()
  const sock = chunkStream()
  app.serve(sock.server)
  sock.push([1, 2, 3].map((id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'stuck' }) + '\n').join(''))
  await all.promise
  await app.close()
  const shuttingDown = { code: -32005, message: 'server shutting down' }
  t.same((await sock.lines.end()).sort((a, b) => a.id - b.id), [1, 2, 3].map((id) => ({ jsonrpc: '2.0', id, error: shuttingDown })))
})
