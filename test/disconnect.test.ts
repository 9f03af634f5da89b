import { once } from 'node:events'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy, { type Connection, type LinefyOptions } from '../index.js'
import { captureLogger, deferred, tempDir, whenClosed } from './helpers/util.js'
import { chunkStream, connect } from './helpers/wire.js'

/** An app logging everything (trace and up) into `records`. */
async function setup (t: Test, opts: LinefyOptions = {}) {
  const path = join(tempDir(t), 'd.sock')
  const { log, records } = captureLogger('trace')
  const app = linefy({ ...opts, logger: log })
  const conns: Connection[] = []
  app.addHook('onConnection', async (conn) => { conns.push(conn) })
  t.teardown(() => app.close())
  return { app, path, records, conns, loud: () => records.filter((r) => r.level > 20) }
}

t.test('a client gone mid-request: the signal aborts, the late reply is dropped, nothing logged above debug', async (t) => {
  const { app, path, loud, records } = await setup(t)
  const started = deferred<AbortSignal>()
  const release = deferred()
  const late = deferred<string>()
  app.method('work', async (req) => {
    started.resolve(req.signal)
    await release.promise
    late.resolve('returned')
    return 'too late'
  })
  await app.listen({ path })
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 1, method: 'work' })
  const signal = await started.promise
  t.equal(app.activity.connections, 1)
  c.socket.destroy()
  await once(signal, 'abort')
  t.match(signal.reason, { code: 'LINEFY_ERR_CLIENT_GONE' })
  t.equal(app.activity.connections, 0, 'the connection count is back down')
  t.equal(app.activity.inFlight, 0, 'its slot is free for others')
  release.resolve()
  t.equal(await late.promise, 'returned')
  t.same(loud(), [], 'an ordinary disconnect is not an incident')
  t.ok(records.some((r) => r.level === 20 && r.msg === 'connection reset by peer' && r.err.code === 'EPIPE'), 'it is in the debug log')
})

t.test('a client gone while its request waits at the gate: dropped before it runs', async (t) => {
  const { app, path, loud, conns } = await setup(t, { concurrency: 1 })
  const started = deferred()
  const release = deferred()
  const atGate = deferred()
  let ran = 0
  app.method('hold', async () => { started.resolve(); await release.promise; return 'held' })
  app.register(async (app) => {
    // synchronous, so the request is at the gate when the test resumes
    app.addHook('preHandler', () => { atGate.resolve() })
    app.method('queued', async () => { ran++; return 'ran' })
  })
  await app.listen({ path })
  const a = await connect(path, t)
  a.send({ jsonrpc: '2.0', id: 1, method: 'hold' })
  await started.promise
  const b = await connect(path, t)
  b.send({ jsonrpc: '2.0', id: 2, method: 'queued' })
  await atGate.promise
  t.equal(app.activity.queued, 1)
  b.socket.destroy()
  await whenClosed(conns[1].stream as Socket)
  t.equal(app.activity.queued, 0, 'no longer counted as waiting')
  t.equal(app.activity.connections, 1)
  release.resolve()
  t.same(await a.lines.next(), { jsonrpc: '2.0', id: 1, result: 'held' })
  t.equal(ran, 0, 'the queued handler never ran')
  t.same(loud(), [])
})

t.test('a client gone while the daemon writes to it (EPIPE, ECONNRESET) is logged at debug only', async (t) => {
  const { app, path, loud, conns } = await setup(t, { perConnection: 16 })
  const big = 'b'.repeat(128 * 1024)
  app.method('big', async () => big)
  await app.listen({ path })
  const c = await connect(path, t)
  c.socket.write(`{"jsonrpc":"2.0","id":1,"method":"big"}\n`.repeat(32))
  await c.lines.next()
  c.socket.destroy()
  await whenClosed(conns[0].stream as Socket)
  t.equal(app.activity.connections, 0)
  t.same(loud(), [])
})

t.test('a control reply for a client already gone is dropped quietly', async (t) => {
  const { app, path, loud, conns } = await setup(t)
  const asked = deferred()
  const answer = deferred<object>()
  app.control('status', async () => { asked.resolve(); return await answer.promise })
  await app.listen({ path })
  const c = await connect(path, t)
  c.send({ type: 'status' })
  await asked.promise
  c.socket.destroy()
  await whenClosed(conns[0].stream as Socket)
  answer.resolve({ ok: true })
  // close() settles well after the handler's reply went nowhere
  await app.close()
  t.same(loud(), [])
})

t.test('close() while onConnection hooks are pending: the connection ends unread', async (t) => {
  const { app, path, loud } = await setup(t)
  const hook = deferred()
  const entered = deferred<Connection>()
  app.addHook('onConnection', async (conn) => { entered.resolve(conn); await hook.promise })
  let ran = 0
  app.method('echo', async () => { ran++ })
  await app.listen({ path })
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 1, method: 'echo' })
  const conn = await entered.promise
  const closing = app.close()
  t.same(await c.lines.end(), [], 'ended without a reply')
  await whenClosed(conn.stream as Socket)
  hook.resolve()
  await closing
  t.equal(ran, 0)
  t.same(loud(), [])
})

t.test('a stream failing as a departed peer does is logged at debug; any other stream error at warn, with the error', async (t) => {
  const { app, records } = await setup(t)
  await app.ready()
  const codes = ['EPIPE', 'ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED', 'EIO']
  for (const code of codes) {
    const sock = chunkStream()
    const conn = app.serve(sock.server)
    // not waitFor(): that one fails on the 'error' this test makes
    const closed = new Promise((resolve) => sock.server.once('close', resolve))
    sock.server.destroy(Object.assign(new Error(`failed with ${code}`), { code }))
    await closed
    t.equal(conn.destroyed, true)
  }
  const logged = records.filter((r) => r.err !== undefined).map((r) => [r.level, r.msg, r.err.code])
  t.same(logged, [
    [20, 'connection reset by peer', 'EPIPE'],
    [20, 'connection reset by peer', 'ECONNRESET'],
    [20, 'connection reset by peer', 'ERR_STREAM_PREMATURE_CLOSE'],
    [20, 'connection reset by peer', 'ERR_STREAM_DESTROYED'],
    [40, 'connection error', 'EIO']
  ])
  t.equal(app.activity.connections, 0)
})
