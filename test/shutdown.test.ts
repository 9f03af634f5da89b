import { existsSync } from 'node:fs'
import net, { type Socket } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy, { type Connection, type LinefyInstance, type LinefyOptions } from '../index.js'
import { deferred, tempDir, waitFor } from './helpers/util.js'
import { runFixture, startCli } from './helpers/process.js'
import { connect, connectError } from './helpers/wire.js'

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

t.test('lines read before close began run in order; lines sent after close began are not read', async (t) => {
  const { app, path, held, conns, echoed } = await daemon(t)
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

t.test('a line that reaches a connection after close began (a trailing line flushed at EOF) is refused -32005, never run', async (t) => {
  const { app, path, held, conns, echoed } = await daemon(t)
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
  t.same([await c.lines.next(), await c.lines.next()], [
    { jsonrpc: '2.0', id: 1, result: 'held' },
    { jsonrpc: '2.0', id: 2, error: { code: -32005, message: 'server shutting down' } }
  ])
  await closing
  t.same(echoed, [])
})

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

t.test('SIGTERM to a real daemon: refuses new clients, drains, exits 0, removes its socket', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const child = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path })])
  await child.stderr.find((m) => m.ready === true)
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 'a', method: 'sleep', params: { ms: 200 } })
  await child.stderr.find((m) => m.started === 'a')
  child.proc.kill('SIGTERM')
  await child.stderr.find((m) => m.closing === true)
  t.equal((await connectError(path))?.code, 'ECONNREFUSED', 'a new connect is refused while draining')
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 'a', result: { slept: 200 } })
  t.same(await c.lines.end(), [])
  t.same(await child.exit(), { code: 0, signal: null })
  t.ok(await child.stderr.find((m) => m.onClose === true), 'onClose ran')
  t.notOk(existsSync(path))
})

t.test('SIGTERM to the reference daemon with 10 calls pipelined on one connection: all 10 answered with results', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const daemon = startCli(t, ['daemon', '--demo', '--socket', path])
  await daemon.stderr.match(/"msg":"listening"/)
  const c = await connect(path, t)
  // one write: the daemon reads all ten lines in the chunk that carries the first
  c.socket.write(Array.from({ length: 10 }, (_, i) => JSON.stringify(i === 0
    ? { jsonrpc: '2.0', id: 0, method: 'echo', params: ['first'] }
    : { jsonrpc: '2.0', id: i, method: 'sleep', params: { ms: 30 } }) + '\n').join(''))
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 0, result: ['first'] })
  daemon.proc.kill('SIGTERM')
  const rest = []
  for (let i = 1; i < 10; i++) rest.push(await c.lines.next())
  t.same(rest, Array.from({ length: 9 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, result: { slept: 30 } })))
  t.same(await c.lines.end(), [], 'then the connection ends')
  t.same(await daemon.exited, { code: 0, signal: null })
  t.notOk(existsSync(path))
})

t.test('SIGTERM past the grace period: the stuck request is aborted and answered -32005', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const child = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path }), JSON.stringify({ closeGraceMs: 100 })])
  await child.stderr.find((m) => m.ready === true)
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 'h', method: 'hang' })
  await child.stderr.find((m) => m.started === 'h')
  child.proc.kill('SIGTERM')
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 'h', error: { code: -32005, message: 'server shutting down' } })
  t.same(await child.stderr.find((m) => m.aborted === 'h'), { aborted: 'h', reason: 'LINEFY_ERR_SHUTTING_DOWN' })
  t.same(await child.exit(), { code: 0, signal: null })
  t.notOk(existsSync(path))
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
