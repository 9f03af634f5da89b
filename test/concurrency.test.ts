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
