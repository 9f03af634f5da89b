import t, { type Test } from 'tap'
import linefy from '../index.js'
import lifecycle, { Lifecycle, type Transition } from '../plugins/lifecycle.js'

async function build (t: Test, opts = {}) {
  const app = linefy({ compat: 'seed' })
  app.register(lifecycle, opts)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

const send = (app: Awaited<ReturnType<typeof build>>, ...types: string[]) =>
  app.inject(types.map((type) => ({ type })))

t.test('status reports the state and the activity probes', async (t) => {
  const app = await build(t)
  const [status] = await send(app, 'status')
  t.match(status, {
    ok: true,
    state: 'wake',
    connections: 1,
    in_flight: 0,
    queued: 0,
    idle_ms: Number,
    uptime_ms: Number,
    pid: process.pid
  })
})

t.test('sleep, rem and wake move the state and say where it was', async (t) => {
  const app = await build(t)
  const replies = await send(app, 'user_initiated_sleep', 'status', 'force_rem', 'force_wake', 'status')
  t.same(replies[0], { ok: true, state: 'sleep', previous: 'wake' })
  t.equal(replies[1]?.state, 'sleep')
  t.same(replies[2], { ok: true, state: 'rem', previous: 'sleep' })
  t.same(replies[3], { ok: true, state: 'wake', previous: 'rem' })
  t.equal(replies[4]?.state, 'wake')
})

t.test('asking for the current state again is harmless and emits nothing', async (t) => {
  const app = await build(t)
  const seen: Transition[] = []
  app.lifecycle.on('transition', (tr: Transition) => seen.push(tr))
  t.same(await app.inject({ type: 'force_wake' }), { ok: true, state: 'wake', previous: 'wake' })
  t.same(seen, [])
})

t.test('pause shows in status and resume restores the state before it', async (t) => {
  const app = await build(t)
  const replies = await send(app, 'force_rem', 'pause', 'status', 'resume', 'status')
  t.same(replies[1], { ok: true, state: 'paused', previous: 'rem' })
  t.equal(replies[2]?.state, 'paused')
  t.same(replies[3], { ok: true, state: 'rem', previous: 'paused' })
  t.equal(replies[4]?.state, 'rem')
})

t.test('while paused, only resume moves the state', async (t) => {
  const app = await build(t)
  const replies = await send(app, 'pause', 'user_initiated_sleep', 'force_wake', 'force_rem', 'pause', 'status')
  for (const [i, type] of ['user_initiated_sleep', 'force_wake', 'force_rem'].entries()) {
    t.same(replies[i + 1], { ok: false, state: 'paused', reason: 'paused', error: `the daemon is paused: send resume before ${type}` })
  }
  t.match(replies[4], { ok: false, reason: 'already_paused', error: /send resume/ })
  t.equal(replies[5]?.state, 'paused')
})

t.test('resume without a pause is refused', async (t) => {
  const app = await build(t)
  t.same(await app.inject({ type: 'resume' }), {
    ok: false, state: 'wake', reason: 'not_paused', error: "the daemon is not paused (state 'wake'): there is nothing to resume"
  })
})

t.test('session_open hands out a new id each time', async (t) => {
  const app = await build(t)
  const ids: string[] = []
  app.lifecycle.on('session', (id: string) => ids.push(id))
  const [a, b] = await send(app, 'session_open', 'session_open')
  t.match(a, { ok: true, state: 'wake', session_id: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/ })
  t.not(a?.session_id, b?.session_id)
  t.same(ids, [a?.session_id, b?.session_id])
})

t.test('the API moves the state too and every change is an event', async (t) => {
  const app = await build(t, { initial: 'sleep' })
  const seen: Transition[] = []
  app.lifecycle.on('transition', (tr: Transition) => seen.push(tr))
  t.equal(app.lifecycle.state, 'sleep')
  app.lifecycle.wake()
  app.lifecycle.rem()
  app.lifecycle.pause()
  app.lifecycle.resume()
  app.lifecycle.sleep('scheduler')
  await app.inject({ type: 'force_wake' })
  t.same(seen, [
    { from: 'sleep', to: 'wake', cause: 'wake' },
    { from: 'wake', to: 'rem', cause: 'rem' },
    { from: 'rem', to: 'paused', cause: 'pause' },
    { from: 'paused', to: 'rem', cause: 'resume' },
    { from: 'rem', to: 'sleep', cause: 'scheduler' },
    { from: 'sleep', to: 'wake', cause: 'force_wake' }
  ])
})

t.test('JSON-RPC traffic never moves the state', async (t) => {
  const app = linefy({ compat: 'seed' })
  app.register(lifecycle)
  app.method('noop', () => null)
  t.teardown(() => app.close())
  await app.inject([{ type: 'force_rem' }, { jsonrpc: '2.0', id: 1, method: 'noop' }, { jsonrpc: '2.0', id: 2, method: 'missing' }, 'garbage'])
  t.equal(app.lifecycle.state, 'rem')
})

t.test('idle() lets background work run only when nothing is happening', async (t) => {
  const activity = { lastActivity: Date.now(), connections: 3, inFlight: 0, queued: 0 }
  const lc = new Lifecycle(activity, { quietMs: 50 })
  t.equal(lc.idle(), false, 'a line was read just now')
  t.equal(lc.idle(0), true, 'open connections alone do not hold background work back')
  activity.lastActivity = Date.now() - 60
  t.equal(lc.idle(), true, 'quiet for longer than quietMs')
  activity.inFlight = 1
  t.equal(lc.idle(), false, 'a request is running')
  activity.inFlight = 0
  activity.queued = 2
  t.equal(lc.idle(), false, 'requests are queued')
  activity.lastActivity = Date.now() + 1000
  t.equal(lc.idleMs(), 0, 'a clock step backwards never gives a negative idle time')
})

t.test('idle() follows real traffic through app.activity', async (t) => {
  let release: () => void = () => {}
  let started: () => void = () => {}
  const running = new Promise<void>((resolve) => { started = resolve })
  const app = linefy({ compat: 'seed' })
  app.register(lifecycle, { quietMs: 0 })
  app.method('hold', () => new Promise<void>((resolve) => {
    release = resolve
    started()
  }))
  t.teardown(() => app.close())
  await app.ready()
  t.equal(app.lifecycle.idle(), true)
  const pending = app.inject({ jsonrpc: '2.0', id: 1, method: 'hold' })
  await running
  t.equal(app.lifecycle.idle(), false, 'busy while the handler runs')
  release()
  await pending
  t.equal(app.lifecycle.idle(), true)
})

t.test('bad options are refused with a message saying what is allowed', async (t) => {
  const activity = { lastActivity: 0, connections: 0, inFlight: 0, queued: 0 }
  t.throws(() => new Lifecycle(activity, { initial: 'paused' as 'wake' }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /initial must be 'wake', 'sleep' or 'rem'/ })
  t.throws(() => new Lifecycle(activity, { quietMs: -1 }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /quietMs must be a whole number/ })
})
