import t from 'tap'
import linefy, { FastqGate, gate as gatePlugin, type GateFactory, type LinefyInstance } from '../index.js'
import { fairGate } from './helpers/fair-gate.js'
import { maker, pipelineSuite } from './helpers/pipeline-suite.js'
import { deferred, rpc } from './helpers/util.js'
import { socketPair } from './helpers/wire.js'

t.test('the default gate passes the pipeline suite', async (t) => {
  pipelineSuite(t, maker(t))
})

t.test('a fair gate swapped in with setGate passes the pipeline suite', async (t) => {
  pipelineSuite(t, maker(t, (app) => app.setGate(fairGate)))
})

t.test('a fair gate registered as a plugin passes the pipeline suite', async (t) => {
  pipelineSuite(t, maker(t, (app) => app.register(gatePlugin, { gate: fairGate })))
})

/** Two clients, concurrency 2: A pipelines three calls, then B sends one. Returns the order the handlers started in. */
async function race (t: Parameters<Parameters<typeof t.test>[1]>[0], gate?: GateFactory, asPlugin = false): Promise<string[]> {
  const app: LinefyInstance = linefy({ concurrency: 2, perConnection: 3, gate: asPlugin ? undefined : gate })
  if (asPlugin && gate !== undefined) app.register(gatePlugin, { gate })
  t.teardown(() => app.close())
  const started: string[] = []
  const release = deferred()
  const allIn = deferred()
  app.method('work', async (req) => {
    started.push((req.params as string[])[0])
    if (started.length === 2) allIn.resolve()
    await release.promise
    return req.params
  })
  await app.ready()
  const a = socketPair()
  const b = socketPair()
  app.serve(a.server)
  app.serve(b.server)
  for (const id of ['a1', 'a2', 'a3']) a.send(JSON.stringify(rpc(id, 'work', [id])) + '\n')
  await allIn.promise
  await new Promise<void>((resolve) => { const check = (): void => { app.activity.queued === 1 ? resolve() : setImmediate(check) }; check() })
  b.send(JSON.stringify(rpc('b1', 'work', ['b1'])) + '\n')
  await new Promise<void>((resolve) => { const check = (): void => { app.activity.queued === 2 ? resolve() : setImmediate(check) }; check() })
  release.resolve()
  for (let i = 0; i < 3; i++) await a.lines.next()
  await b.lines.next()
  return started
}

t.test('first come, first served: the default gate runs a client\'s whole pipeline before the next client', async (t) => {
  t.same(await race(t), ['a1', 'a2', 'a3', 'b1'])
})

t.test('the fair gate gives a freed slot to the client that holds fewer than its share', async (t) => {
  t.same(await race(t, fairGate), ['a1', 'a2', 'b1', 'a3'])
})

t.test('the gate plugin swaps the gate in: the fair one registered with it decides the order', async (t) => {
  t.same(await race(t, fairGate, true), ['a1', 'a2', 'b1', 'a3'])
})

t.test('setGate is refused once the app is ready; a factory must return a gate', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  t.throws(() => app.setGate('fastq' as unknown as GateFactory), { code: 'LINEFY_ERR_INVALID_HANDLER', message: /gate factory must be a function/ })
  await app.ready()
  t.throws(() => app.setGate((o, c) => new FastqGate(o, c)), { code: 'LINEFY_ERR_INSTANCE_STARTED' })

  const broken = linefy({ gate: () => ({ enter: () => true }) as never })
  await t.rejects(broken.ready(), { code: 'LINEFY_ERR_INVALID_GATE' })
  await broken.close()
})

t.test('a gate is built once, at ready(), with the instance\'s concurrency and maxQueue', async (t) => {
  const built: unknown[] = []
  const app = linefy({ concurrency: 3, maxQueue: 7, gate: (opts, core) => { built.push(opts); return new FastqGate(opts, core) } })
  t.teardown(() => app.close())
  app.method('x', () => 1)
  for (let i = 0; i < 3; i++) await app.inject(rpc(i, 'x'))
  t.same(built, [{ concurrency: 3, maxQueue: 7 }])
})

t.test('a request that ends while it waits is dropped: the gate hears of it, the counters stay exact, the next one runs', async (t) => {
  const app = linefy({ concurrency: 1, perConnection: 2 })
  t.teardown(() => app.close())
  const release = deferred()
  app.method('hold', () => release.promise)
  app.method('quick', { timeout: 30 }, () => 'quick')
  await app.ready()
  const c = await connectPair(app)
  c.write(rpc(1, 'hold'))
  c.write(rpc(2, 'quick'))
  t.match(await c.lines.next(), { id: 2, error: { code: -32003 } }, 'it timed out while it waited')
  t.same({ inFlight: app.activity.inFlight, queued: app.activity.queued }, { inFlight: 1, queued: 0 })
  release.resolve()
  t.match(await c.lines.next(), { id: 1 })
  c.write(rpc(3, 'quick'))
  t.match(await c.lines.next(), { id: 3, result: 'quick' })
  t.same({ inFlight: app.activity.inFlight, queued: app.activity.queued }, { inFlight: 0, queued: 0 })
})

async function connectPair (app: LinefyInstance) {
  const pair = socketPair()
  app.serve(pair.server)
  return { lines: pair.lines, write: (m: object) => pair.send(JSON.stringify(m) + '\n') }
}

t.test('a gate that runs a request from inside enter(): the counters stay exact when it ends there too', async (t) => {
  const running = deferred()
  const release = deferred()
  const app = linefy({ gate: (_opts, core) => ({ enter: (req) => { core.run(req); return true }, leave: () => {}, drop: () => {} }) })
  t.teardown(() => app.close())
  app.method('sync', () => 'done')
  app.method('held', async () => { running.resolve(); await release.promise; return 'held' })
  for (let i = 0; i < 3; i++) t.equal((await app.inject(rpc(i, 'sync')))?.result, 'done')
  t.match(app.activity, { inFlight: 0, queued: 0 }, 'ended inside enter(): never counted as queued')
  const held = app.inject(rpc('h', 'held'))
  await running.promise
  t.match(app.activity, { inFlight: 1, queued: 0 }, 'running from inside enter()')
  release.resolve()
  t.equal((await held)?.result, 'held')
  t.match(app.activity, { inFlight: 0, queued: 0 })
})
