import t from 'tap'
import linefy, { type LinefyOptions, type Request } from '../index.js'
import { deferred, rpc, type Deferred, injectLines } from './helpers/util.js'
import { socketPair } from './helpers/wire.js'

/** An app whose `hold` method blocks until the test releases that request's id. */
function holdingApp (t: { teardown: (fn: () => unknown) => void }, opts: LinefyOptions) {
  const app = linefy(opts)
  t.teardown(() => app.close())
  const held = new Map<unknown, Deferred<unknown> & { started: Deferred<void> }>()
  const entry = (id: unknown) => {
    let e = held.get(id)
    if (e === undefined) held.set(id, e = Object.assign(deferred<unknown>(), { started: deferred() }))
    return e
  }
  app.method('hold', (req: Request) => {
    const e = entry(req.id)
    e.started.resolve()
    return e.promise
  })
  return { app, started: (id: unknown) => entry(id).started.promise, release: (id: unknown, v: unknown = id) => entry(id).resolve(v), wasStarted: (id: unknown) => held.has(id) }
}

t.test('concurrency bounds the handlers running at once across connections; the rest wait their turn', async (t) => {
  const { app, started, release, wasStarted } = holdingApp(t, { concurrency: 2 })
  const a = app.inject(rpc('a', 'hold'))
  const b = app.inject(rpc('b', 'hold'))
  const c = app.inject(rpc('c', 'hold'))
  await started('a')
  await started('b')
  t.notOk(wasStarted('c'), 'the third waits')
  t.match(app.activity, { inFlight: 2, queued: 1, connections: 3 })
  release('a')
  await started('c')
  t.match(app.activity, { inFlight: 2, queued: 0 })
  release('b')
  release('c')
  t.same([(await a)?.result, (await b)?.result, (await c)?.result], ['a', 'b', 'c'])
  t.match(app.activity, { inFlight: 0, queued: 0, connections: 0 })
})

t.test('past maxQueue a request is answered -32004 at once', async (t) => {
  const { app, started, release } = holdingApp(t, { concurrency: 1, maxQueue: 1 })
  const running = app.inject(rpc('a', 'hold'))
  await started('a')
  const queued = app.inject(rpc('b', 'hold'))
  const refused = await app.inject(rpc('c', 'hold'))
  t.same(refused, { jsonrpc: '2.0', id: 'c', error: { code: -32004, message: 'server overloaded: 1 requests already queued, retry later' } })
  t.match(app.activity, { inFlight: 1, queued: 1 })
  release('a')
  release('b')
  t.equal((await running)?.result, 'a')
  t.equal((await queued)?.result, 'b')
})

t.test('maxQueue 0 refuses anything that cannot start now', async (t) => {
  const { app, started, release } = holdingApp(t, { concurrency: 1, maxQueue: 0 })
  const running = app.inject(rpc('a', 'hold'))
  await started('a')
  t.equal((await app.inject(rpc('b', 'hold')))?.error?.code, -32004)
  release('a')
  t.equal((await running)?.result, 'a')
})

t.test('by default one connection runs one request at a time and replies keep their order', async (t) => {
  const { app, started, release, wasStarted } = holdingApp(t, {})
  const replies = injectLines(app, [rpc(1, 'hold'), rpc(2, 'hold')])
  await started(1)
  t.notOk(wasStarted(2), 'the second waits for the first')
  t.equal(app.activity.inFlight, 1)
  t.equal(app.activity.queued, 0, 'waiting on its connection is not waiting at the gate')
  release(1)
  await started(2)
  release(2)
  t.same((await replies).map((r) => r?.result), [1, 2])
})

t.test('connections never wait on each other', async (t) => {
  const { app, started, release } = holdingApp(t, {})
  const one = app.inject(rpc(1, 'hold'))
  const two = app.inject(rpc(2, 'hold'))
  await started(1)
  await started(2)
  release(2)
  t.equal((await two)?.result, 2, 'the second connection was answered while the first still runs')
  release(1)
  await one
})

t.test('with perConnection N, N requests of a connection run at once and replies go out as they finish', async (t) => {
  const { app, started, release, wasStarted } = holdingApp(t, { perConnection: 2 })
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  sock.send([rpc(1, 'hold'), rpc(2, 'hold'), rpc(3, 'hold')].map((m) => JSON.stringify(m) + '\n').join(''))
  await started(1)
  await started(2)
  t.notOk(wasStarted(3), 'the third waits for a free slot of its connection')
  release(2)
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 2, result: 2 })
  await started(3)
  release(3)
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 3, result: 3 })
  release(1)
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, result: 1 })
})

t.test('with the default perConnection, served replies go out in request order', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const first = deferred()
  app.method('slow', () => first.promise.then(() => 'slow'))
  app.method('fast', () => 'fast')
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(1, 'slow')) + '\n' + JSON.stringify(rpc(2, 'fast')) + '\n')
  first.resolve()
  t.equal((await sock.lines.next()).id, 1)
  t.equal((await sock.lines.next()).id, 2)
})

t.test('app.activity counts connections, running and queued requests exactly', async (t) => {
  const { app, started, release } = holdingApp(t, { concurrency: 1, perConnection: 3 })
  t.same({ ...app.activity, lastActivity: 0 }, { lastActivity: 0, connections: 0, inFlight: 0, queued: 0 })
  const replies = injectLines(app, [rpc(1, 'hold'), rpc(2, 'hold'), rpc(3, 'hold')])
  await started(1)
  t.match(app.activity, { connections: 1, inFlight: 1, queued: 2 })
  release(1)
  await started(2)
  t.match(app.activity, { connections: 1, inFlight: 1, queued: 1 })
  release(2)
  await started(3)
  t.match(app.activity, { connections: 1, inFlight: 1, queued: 0 })
  release(3)
  await replies
  t.match(app.activity, { connections: 0, inFlight: 0, queued: 0 })
})

t.test('lastActivity is the time the last line was read', async (t) => {
  const now = t.capture(Date, 'now', () => 1_000)
  const app = linefy({ maxLineBytes: 8 })
  now.restore()
  t.teardown(() => app.close())
  t.equal(app.activity.lastActivity, 1_000)
  t.capture(Date, 'now', () => 2_000)
  await injectLines(app, ['{}'])
  t.equal(app.activity.lastActivity, 2_000)
  t.capture(Date, 'now', () => 3_000)
  await injectLines(app, ['{"jsonrpc":"2.0"}'])
  t.equal(app.activity.lastActivity, 3_000, 'an over-long line counts as activity too')
})

t.test('a long queue of synchronous handlers drains without growing the stack', async (t) => {
  const app = linefy({ concurrency: 1, perConnection: 20_000, maxQueue: 20_000 })
  t.teardown(() => app.close())
  const first = deferred()
  let ran = 0
  app.method('first', () => first.promise)
  app.method('sync', () => { ran++ })
  const lines = [rpc(0, 'first'), ...Array.from({ length: 20_000 }, (_, i) => rpc(undefined, 'sync', [i]))]
  const replies = app.inject(lines)
  first.resolve()
  await replies
  t.equal(ran, 20_000)
})

/** Resolves once `probe` holds, checked after each turn of the event loop (bounded). */
async function until (probe: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (probe()) return
    await new Promise(setImmediate)
  }
  throw new Error('condition not met')
}

t.test('a request run at once by the gate, or ended inside it, is never counted as queued', async (t) => {
  const app = linefy({ concurrency: 1, maxQueue: 1 })
  t.teardown(() => app.close())
  app.method('sync', () => 'done')
  const release = deferred()
  const running = deferred()
  app.method('hold', async () => { running.resolve(); await release.promise; return 'held' })
  for (let i = 0; i < 3; i++) t.same((await app.inject(rpc(i, 'sync')))?.result, 'done')
  t.match(app.activity, { inFlight: 0, queued: 0 }, 'synchronous handlers ended inside enter()')
  const held = app.inject(rpc('h', 'hold'))
  await running.promise
  t.match(app.activity, { inFlight: 1, queued: 0 }, 'a request the gate started at once')
  const queued = app.inject(rpc('q', 'sync'))
  await until(() => app.activity.queued === 1)
  t.match(app.activity, { inFlight: 1, queued: 1 })
  release.resolve()
  t.same([(await held)?.result, (await queued)?.result], ['held', 'done'])
  t.match(app.activity, { inFlight: 0, queued: 0 })
})

t.test('a queued request that fails gives its place in the queue up at once; a running one keeps its slot until answered', async (t) => {
  const app = linefy({ concurrency: 1, maxQueue: 1, perConnection: 4 })
  t.teardown(() => app.close())
  const release = deferred()
  const running = deferred()
  const timedOut = deferred()
  const errorHooks = deferred()
  app.method('hold', async () => { running.resolve(); await release.promise; return 'held' })
  app.method('quick', { timeout: 20 }, () => 'quick')
  app.method('after', () => 'after')
  app.addHook('onTimeout', () => timedOut.resolve())
  app.addHook('onError', async () => { await errorHooks.promise })
  const held = app.inject(rpc('h', 'hold'))
  await running.promise
  const late = app.inject(rpc('q1', 'quick'))
  await timedOut.promise
  t.match(app.activity, { inFlight: 1, queued: 0 }, 'it timed out while queued: its place is free while its onError hooks run')
  const next = app.inject(rpc('q2', 'after'))
  await until(() => app.activity.queued === 1)
  t.match(app.activity, { queued: 1 }, 'so the next one is queued, not refused')
  errorHooks.resolve()
  t.match(await late, { error: { code: -32003 } })
  release.resolve()
  t.equal((await held)?.result, 'held')
  t.equal((await next)?.result, 'after')

  const app2 = linefy({ concurrency: 1 })
  t.teardown(() => app2.close())
  const errorHooks2 = deferred()
  const inError2 = deferred()
  app2.addHook('onError', async () => { inError2.resolve(); await errorHooks2.promise })
  app2.method('boom', () => { throw new Error('boom') })
  const boom = app2.inject(rpc('b', 'boom'))
  await inError2.promise
  t.match(app2.activity, { inFlight: 1, queued: 0 }, 'a failed running request holds its slot while its onError hooks run')
  errorHooks2.resolve()
  t.match(await boom, { error: { message: 'boom' } })
  t.match(app2.activity, { inFlight: 0 })
})

t.test('a line read later never starts before one waiting ahead of it, even once perConnection is raised', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const started: unknown[] = []
  const widening = deferred()
  const raise = deferred()
  const raised = deferred()
  const release = deferred()
  app.method('widen', async (req) => {
    started.push(req.id)
    widening.resolve()
    await raise.promise
    req.connection.perConnection = 4
    raised.resolve()
    await release.promise
    return 'widened'
  })
  app.method('echo', (req) => { started.push(req.id); return req.id })
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  // 'a' is read while one request at a time may run: it waits
  sock.send(JSON.stringify(rpc('w', 'widen')) + '\n' + JSON.stringify(rpc('a', 'echo')) + '\n')
  await widening.promise
  raise.resolve()
  await raised.promise
  sock.send(JSON.stringify(rpc('b', 'echo')) + '\n')
  t.same([await sock.lines.next(), await sock.lines.next()], [{ jsonrpc: '2.0', id: 'a', result: 'a' }, { jsonrpc: '2.0', id: 'b', result: 'b' }])
  t.same(started, ['w', 'a', 'b'])
  release.resolve()
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 'w', result: 'widened' })
})

t.test('a long backlog of synchronous requests is worked through in a loop: 50,000 waiting lines, no stack overflow', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('first', () => new Promise((resolve) => setImmediate(resolve, 'first')))
  app.method('echo', (req) => req.id)
  const N = 50_000
  const lines: object[] = [rpc(0, 'first')]
  for (let i = 1; i <= N; i++) lines.push(rpc(i, 'echo'))
  const replies = await injectLines(app, lines)
  t.equal(replies.length, N + 1)
  t.ok(replies.every((r, i) => r?.result === (i === 0 ? 'first' : i)), 'each answered, in order')
})
