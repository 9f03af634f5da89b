import { once } from 'node:events'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy, { type LinefyInstance } from '../index.js'
import lifecycle, { isoNow, Lifecycle, type LifecycleOptions, type Transition } from '../plugins/lifecycle.js'
import { version } from '../src/core/version.js'
import { captureLogger, deferred, tempDir } from './helpers/util.js'
import { connect } from './helpers/wire.js'

const PY_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/

async function build (t: Test, opts: LifecycleOptions = {}, logger: LinefyInstance['log'] | false = false): Promise<LinefyInstance> {
  const app = linefy({ compat: 'seed', logger })
  app.register(lifecycle, opts)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** A lifecycle daemon on a real unix socket, and a client on it. */
async function served (t: Test, opts: LifecycleOptions = {}) {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy({ compat: 'seed' })
  app.register(lifecycle, opts)
  t.teardown(() => app.close())
  await app.listen({ path })
  const c = await connect(path, t)
  const control = async (msg: Record<string, unknown>): Promise<Record<string, unknown>> => {
    c.send(msg)
    return await c.lines.next()
  }
  return { app, c, control }
}

t.test('status carries the Python daemon\'s fields in its order, then linefy\'s probes', async (t) => {
  const app = await build(t)
  const status = await app.inject({ type: 'status' }) as Record<string, unknown>
  t.same(Object.keys(status), [
    'ok', 'state', 'uptime_sec', 'version', 'fsm_state', 'last_tick_at', 'quiet_window', 'pending_digest',
    'daemon_started_at', 'scheduler_paused', 'connections', 'in_flight', 'queued', 'idle_ms', 'uptime_ms', 'pid', 'pending'
  ])
  t.match(status, {
    ok: true,
    state: 'WAKE',
    fsm_state: 'WAKE',
    version,
    last_tick_at: null,
    quiet_window: null,
    pending_digest: null,
    daemon_started_at: PY_ISO,
    scheduler_paused: false,
    connections: 1,
    in_flight: 0,
    queued: 0,
    pid: process.pid,
    pending: []
  })
  t.type(status.uptime_sec, 'number')
  t.ok((status.uptime_sec as number) < 60, 'in seconds')
})

t.test('every control type answers with the real shapes, over a real socket', async (t) => {
  const { control } = await served(t)
  const ts = '2026-05-02T10:00:00+00:00'
  t.same(await control({ type: 'user_initiated_sleep', reason: 'bedtime', ts }), { ok: true, state: 'TRANSITIONING' })
  t.same(await control({ type: 'force_wake', ts }), { ok: true, reason: 'wake_queued' })
  t.same(await control({ type: 'force_rem', ts }), { ok: true, reason: 'rem_queued' })
  t.same(await control({ type: 'pause', seconds: 60 }), { ok: true, paused: true })
  t.same(await control({ type: 'pause' }), { ok: true, paused: true }, 'pause is idempotent')
  t.same(await control({ type: 'resume' }), { ok: true, paused: false })
  t.same(await control({ type: 'resume' }), { ok: true, paused: false }, 'resume is idempotent')
  t.same(await control({ type: 'session_open', session_id: 's-1', ts }), { ok: true, reason: 'session_open_queued' })
  t.match(await control({ type: 'status' }), { ok: true, state: 'WAKE', scheduler_paused: false })
})

t.test('session_open sent as the MCP wrapper sends it (write, end, never read the reply) is recorded', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy({ compat: 'seed' })
  app.register(lifecycle)
  const gone = deferred()
  app.addHook('onDisconnect', async () => gone.resolve())
  t.teardown(() => app.close())
  await app.listen({ path })
  const arrived = once(app.lifecycle, 'request')
  // emitSessionOpen in iai-mcp's mcp-wrapper/src/bridge.ts
  const sock = net.createConnection(path, () => {
    sock.write(JSON.stringify({ type: 'session_open', session_id: 'c0ffee', ts: new Date().toISOString() }) + '\n', () => sock.end())
  })
  sock.on('error', () => {})
  t.teardown(() => sock.destroy())
  const [type, detail] = await arrived as [string, { session_id: string }]
  t.same([type, detail.session_id], ['session_open', 'c0ffee'])
  t.ok(app.lifecycle.sessions.has('c0ffee'))
  await gone.promise
  t.equal(app.activity.connections, 0, 'the daemon answered and ended the connection though the reply was never read')
})

t.test('a field of the wrong type is refused as invalid_message, naming it', async (t) => {
  const app = await build(t)
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ type: 'user_initiated_sleep', reason: 5, ts: 'x' }, 'reason must be a string'],
    [{ type: 'user_initiated_sleep', reason: 'r', ts: null }, 'ts must be a string'],
    [{ type: 'force_wake', ts: 1 }, 'ts must be a string'],
    [{ type: 'force_rem', ts: {} }, 'ts must be a string'],
    [{ type: 'pause', seconds: '60' }, 'seconds must be an int'],
    [{ type: 'pause', seconds: 1.5 }, 'seconds must be an int'],
    [{ type: 'resume', seconds: true }, 'seconds must be an int'],
    [{ type: 'session_open', session_id: 7 }, 'session_id must be a string'],
    [{ type: 'session_open', session_id: 's', ts: 5 }, 'ts must be a string']
  ]
  const replies = await app.inject(cases.map(([msg]) => msg))
  cases.forEach(([msg, error], i) => t.same(replies[i], { ok: false, reason: 'invalid_message', error }, JSON.stringify(msg)))
  t.equal(app.lifecycle.paused, false, 'nothing was recorded')
  t.equal(app.lifecycle.pending('user_initiated_sleep'), null)
  t.equal(app.lifecycle.sessions.size, 0)
})

t.test('liberal where the Python server is needlessly strict: ts and reason may be left out', async (t) => {
  const app = await build(t)
  // iai-mcp's own cli.py sends {"type":"force_rem"}, which the Python server refuses
  const replies = await app.inject([{ type: 'force_rem' }, { type: 'force_wake' }, { type: 'user_initiated_sleep' }, { type: 'session_open' }])
  t.same(replies, [
    { ok: true, reason: 'rem_queued' },
    { ok: true, reason: 'wake_queued' },
    { ok: true, state: 'TRANSITIONING' },
    { ok: true, reason: 'session_open_queued' }
  ])
  t.match(app.lifecycle.pending('force_rem'), { ts: PY_ISO }, 'the daemon\'s own time stands in for the missing ts')
  t.match(app.lifecycle.pending('user_initiated_sleep'), { reason: '', ts: PY_ISO })
})

t.test('control lines only record requests: the state machine never moves, and each request is an event', async (t) => {
  const app = await build(t)
  const lc = app.lifecycle
  const seen: unknown[] = []
  const transitions: Transition[] = []
  lc.on('request', (type: string, detail: unknown) => seen.push([type, detail]))
  lc.on('transition', (tr: Transition) => transitions.push(tr))
  await app.inject([
    { type: 'user_initiated_sleep', reason: 'night', ts: 't1' },
    { type: 'force_rem', ts: 't2' },
    { type: 'force_wake', ts: 't3' },
    { type: 'pause', seconds: 30 },
    { type: 'resume' },
    { type: 'session_open', session_id: 'abc', ts: 't4' },
    { type: 'status' }
  ])
  t.equal(lc.state, 'WAKE')
  t.same(transitions, [])
  t.same(seen, [
    ['user_initiated_sleep', { reason: 'night', ts: 't1' }],
    ['force_rem', { ts: 't2' }],
    ['force_wake', { ts: 't3' }],
    ['pause', { seconds: 30 }],
    ['resume', {}],
    ['session_open', { session_id: 'abc', ts: 't4' }]
  ])
  t.same(lc.pending('user_initiated_sleep'), { reason: 'night', ts: 't1' })
  t.same(lc.pending('force_rem'), { ts: 't2' })
  t.same(lc.pending('force_wake'), { ts: 't3' })
  t.same(lc.pending('session_open'), { session_id: 'abc', ts: 't4' })
  t.match((await app.inject({ type: 'status' }))?.pending, ['user_initiated_sleep', 'force_wake', 'force_rem', 'session_open'])
})

t.test('a scheduler honours the requests and moves the state; the control plane then sees it', async (t) => {
  const { app, control } = await served(t)
  const lc = app.lifecycle
  // the daemon's own scheduler, reacting to the event instead of polling
  lc.on('request', (type: string) => {
    if (type === 'user_initiated_sleep' && lc.honor('user_initiated_sleep') !== null) {
      lc.transition('TRANSITIONING', 'user asked')
      lc.transition('SLEEP', 'user asked')
    } else if (type === 'force_rem' && lc.state === 'SLEEP' && lc.honor('force_rem') !== null) {
      lc.transition('DREAMING')
    } else if (type === 'force_wake' && lc.honor('force_wake') !== null) {
      lc.transition('WAKE', 'forced')
    }
  })
  const moves: string[] = []
  lc.on('transition', (tr: Transition) => moves.push(`${tr.from}->${tr.to} (${tr.cause})`))
  t.same(await control({ type: 'user_initiated_sleep', reason: 'r', ts: 't' }), { ok: true, state: 'TRANSITIONING' })
  t.match(await control({ type: 'status' }), { state: 'SLEEP', fsm_state: 'SLEEP', pending: [] })
  t.same(await control({ type: 'user_initiated_sleep', reason: 'again', ts: 't' }), { ok: false, reason: 'already_sleeping' })
  t.same(await control({ type: 'force_rem' }), { ok: true, reason: 'rem_queued' })
  t.same(await control({ type: 'user_initiated_sleep' }), { ok: false, reason: 'already_sleeping' }, 'DREAMING is asleep too')
  t.same(await control({ type: 'force_wake' }), { ok: true, reason: 'wake_queued' })
  t.match(await control({ type: 'status' }), { state: 'WAKE', pending: [] })
  t.same(moves, ['WAKE->TRANSITIONING (user asked)', 'TRANSITIONING->SLEEP (user asked)', 'SLEEP->DREAMING (scheduler)', 'DREAMING->WAKE (forced)'])
  t.equal(lc.honor('force_wake'), null, 'a request is honoured once')
})

t.test('the scheduler\'s own fields show in status: last tick, quiet window, digest counters only', async (t) => {
  const app = await build(t)
  app.lifecycle.tick()
  t.match(await app.inject({ type: 'status' }), { last_tick_at: PY_ISO, quiet_window: null, pending_digest: null })
  app.lifecycle.tick({ quietWindow: [44, 16], pendingDigest: { rem_cycles_completed: 3, insights: ['a long digest'.repeat(100)] } })
  t.match(await app.inject({ type: 'status' }), {
    quiet_window: [44, 16],
    pending_digest: { rem_cycles_completed: 3, episodes_processed: 0, schemas_induced_tier0: 0, claude_call_used: false }
  })
  t.notMatch(JSON.stringify(await app.inject({ type: 'status' })), /long digest/)
  app.lifecycle.tick({ pendingDigest: { rem_cycles_completed: 1, episodes_processed: 2, schemas_induced_tier0: 3, claude_call_used: true, insights: [] } })
  t.same((await app.inject({ type: 'status' }))?.pending_digest, { rem_cycles_completed: 1, episodes_processed: 2, schemas_induced_tier0: 3, claude_call_used: true })
  app.lifecycle.tick({ pendingDigest: {} })
  t.same((await app.inject({ type: 'status' }))?.pending_digest, { rem_cycles_completed: 0, episodes_processed: 0, schemas_induced_tier0: 0, claude_call_used: false })
})

t.test('sessions: kept by session_id, clipped to 128 characters, consumed once', async (t) => {
  const app = await build(t)
  const lc = app.lifecycle
  const long = '😀'.repeat(200)
  await app.inject([{ type: 'session_open', session_id: 'a' }, { type: 'session_open', session_id: long }])
  t.same([...lc.sessions.keys()], ['a', '😀'.repeat(128)], 'clipped by characters: no half surrogate pair')
  t.match(lc.sessions.get('a'), PY_ISO)
  t.equal(lc.consumeFirstTurn('a'), true)
  t.equal(lc.consumeFirstTurn('a'), false, 'the first turn happens once')
  t.equal(lc.consumeFirstTurn('never'), false)
  await app.inject({ type: 'session_open', session_id: 'a' })
  t.equal(lc.consumeFirstTurn('a'), true, 'a re-opened session has a first turn again')
})

t.test('sessions stay bounded: past maxSessions the oldest goes', async (t) => {
  const app = await build(t, { maxSessions: 3 })
  await app.inject(['s1', 's2', 's3', 's1', 's4'].map((id) => ({ type: 'session_open', session_id: id })))
  t.same([...app.lifecycle.sessions.keys()], ['s3', 's1', 's4'], 's1 re-opened counts as new; s2 was the oldest')
})

t.test('the reason is clipped to 500 characters, as the Python server does', async (t) => {
  const app = await build(t)
  await app.inject({ type: 'user_initiated_sleep', reason: 'é'.repeat(600) })
  t.equal(app.lifecycle.pending('user_initiated_sleep')?.reason, 'é'.repeat(500))
})

t.test('transition refuses a state that does not exist; bad options are refused with what is allowed', async (t) => {
  const app = await build(t)
  t.throws(() => app.lifecycle.transition('wake' as 'WAKE'), { code: 'LINEFY_ERR_INVALID_FSM_STATE', message: "'wake' is not a lifecycle state: use one of WAKE, TRANSITIONING, SLEEP, DREAMING" })
  app.lifecycle.transition('WAKE')
  t.equal(app.lifecycle.state, 'WAKE', 'moving to the current state is no transition')
  const activity = { lastActivity: 0, connections: 0, inFlight: 0, queued: 0 }
  t.throws(() => new Lifecycle(activity, { initial: 'paused' as 'WAKE' }), { code: 'LINEFY_ERR_INVALID_FSM_STATE' })
  t.throws(() => new Lifecycle(activity, { quietMs: -1 }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /quietMs must be a whole number >= 0/ })
  t.throws(() => new Lifecycle(activity, { maxSessions: 0 }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /maxSessions must be a whole number >= 1/ })
  t.throws(() => new Lifecycle(activity, { sessionTtlMs: 1.5 }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /sessionTtlMs/ })
  t.equal(new Lifecycle(activity, { initial: 'SLEEP', version: '9.9' }).status().version, '9.9')
})

t.test('isoNow writes what Python\'s isoformat() writes for a UTC time', async (t) => {
  t.equal(isoNow(Date.UTC(2026, 4, 2, 10, 11, 12, 345)), '2026-05-02T10:11:12.345000+00:00')
})

t.test('version is the one in package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(version, pkg.version)
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
  t.equal(app.activity.inFlight, 1)
  release()
  await pending
  t.equal(app.lifecycle.idle(), true)
})

t.test('JSON-RPC traffic never touches the control state', async (t) => {
  const app = linefy({ compat: 'seed' })
  app.register(lifecycle)
  app.method('noop', () => null)
  t.teardown(() => app.close())
  await app.inject([{ type: 'pause' }, { jsonrpc: '2.0', id: 1, method: 'noop' }, { jsonrpc: '2.0', id: 2, method: 'missing' }, 'garbage'])
  t.equal(app.lifecycle.paused, true)
  t.equal(app.lifecycle.state, 'WAKE')
})

// the state file

const readState = (file: string): Record<string, any> => JSON.parse(readFileSync(file, 'utf8'))

t.test('state file: written at boot and on every change, atomically (a new file renamed over the old), mode 0600', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'sub', 'state.json')
  const app = await build(t, { stateFile: file })
  t.match(readState(file), { fsm_state: 'WAKE', scheduler_paused: false, daemon_started_at: PY_ISO, first_turn_pending: {} }, 'the parent directory was created')
  t.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700)
  const before = statSync(file)
  t.same(await app.inject({ type: 'pause' }), { ok: true, paused: true }, 'answered once the file is written')
  const after = statSync(file)
  t.equal(readState(file).scheduler_paused, true)
  t.not(after.ino, before.ino, 'replaced by rename, never rewritten in place')
  t.equal(after.mode & 0o777, 0o600)
  await app.inject([{ type: 'force_rem', ts: 'T' }, { type: 'session_open', session_id: 'abc', ts: 'S' }])
  t.match(readState(file), {
    force_rem_request: { ts: 'T', pending: true },
    hippea_cascade_request: { session_id: 'abc', ts: 'S', pending: true },
    last_session_open: { session_id: 'abc', ts: 'S' },
    first_turn_pending: { abc: PY_ISO }
  })
  t.same(readdirSync(join(dir, 'sub')), ['state.json'], 'no temporary file left behind')
})

t.test('state file: what the scheduler does is saved too, and flush() waits for it', async (t) => {
  const file = join(tempDir(t), 'state.json')
  const app = await build(t, { stateFile: file })
  await app.inject([{ type: 'force_rem', ts: 'T' }, { type: 'session_open', session_id: 'abc' }])
  const lc = app.lifecycle
  lc.honor('force_rem')
  lc.transition('DREAMING')
  lc.tick({ quietWindow: [1, 2] })
  lc.consumeFirstTurn('abc')
  await lc.flush()
  t.match(readState(file), {
    fsm_state: 'DREAMING',
    force_rem_request: { ts: 'T', pending: false, honored_at: PY_ISO },
    last_tick_at: PY_ISO,
    quiet_window: [1, 2],
    first_turn_pending: {}
  })
})

t.test('state file: many changes at once from many connections end with the last state on disk', async (t) => {
  const file = join(tempDir(t), 'state.json')
  const app = await build(t, { stateFile: file })
  const types = Array.from({ length: 40 }, (_, i) => i % 2 === 0 ? 'pause' : 'resume')
  const replies = await Promise.all(types.map((type) => app.inject({ type })))
  t.ok(replies.every((r) => r?.ok === true))
  await app.inject({ type: 'pause' })
  t.equal(readState(file).scheduler_paused, true)
  await app.inject({ type: 'resume' })
  t.equal(readState(file).scheduler_paused, false)
})

t.test('state file: a restart picks up where the last daemon left, other tools\' keys kept', async (t) => {
  const file = join(tempDir(t), 'state.json')
  const old = Date.now() - 2 * 24 * 3600 * 1000
  writeFileSync(file, JSON.stringify({
    fsm_state: 'SLEEP',
    daemon_started_at: '2020-01-01T00:00:00+00:00',
    scheduler_paused: true,
    claude_enabled: false,
    user_sleep_request: { reason: 'r', ts: 't', pending: true },
    first_turn_pending: { fresh: isoNow(), stale: isoNow(old), legacy: true }
  }))
  const app = await build(t, { stateFile: file })
  const lc = app.lifecycle
  t.equal(lc.state, 'SLEEP')
  t.equal(lc.paused, true)
  t.same(lc.pending('user_initiated_sleep'), { reason: 'r', ts: 't' })
  t.same([...lc.sessions.keys()], ['fresh'], 'stale and legacy entries were dropped, as the Python daemon prunes them')
  const saved = readState(file)
  t.equal(saved.claude_enabled, false)
  t.not(saved.daemon_started_at, '2020-01-01T00:00:00+00:00', 'this boot is the start')
})

t.test('state file: values of the wrong type are not trusted', async (t) => {
  const file = join(tempDir(t), 'state.json')
  writeFileSync(file, JSON.stringify({ fsm_state: 'NAPPING', scheduler_paused: 'yes', first_turn_pending: [1] }))
  const app = await build(t, { stateFile: file, initial: 'SLEEP' })
  t.equal(app.lifecycle.state, 'SLEEP')
  t.equal(app.lifecycle.paused, false)
  t.equal(app.lifecycle.sessions.size, 0)
})

t.test('state file: one that is not JSON is replaced by a fresh state, with a warning', async (t) => {
  const file = join(tempDir(t), 'state.json')
  writeFileSync(file, '{"fsm_state": "SLE')
  const { log, records } = captureLogger('warn')
  const app = await build(t, { stateFile: file }, log)
  t.equal(app.lifecycle.state, 'WAKE')
  t.equal(readState(file).fsm_state, 'WAKE')
  t.match(records, [{ level: 40, file, msg: 'the control state file is not JSON: starting from a fresh state' }])
})

t.test('state file: one that cannot be read or written stops the boot with a clear error', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'is-a-dir'))
  writeFileSync(join(dir, 'file'), 'x')
  for (const file of [join(dir, 'is-a-dir'), join(dir, 'file', 'state.json')]) {
    const app = linefy({ compat: 'seed' })
    app.register(lifecycle, { stateFile: file })
    await t.rejects(app.ready(), {
      code: 'LINEFY_ERR_STATE_FILE',
      message: new RegExp(`^control state file ${file}: .+: make sure its directory can be created and written by this user, or pass another --state-file$`)
    }, file)
    await app.close()
  }
})

t.test('state file: a write that fails is answered state_write_failed, and the daemon keeps serving', async (t) => {
  const dir = tempDir(t)
  const sub = join(dir, 'sub')
  const file = join(sub, 'state.json')
  const { log, records } = captureLogger('error')
  const app = linefy({ compat: 'seed', logger: log })
  app.register(lifecycle, { stateFile: file })
  t.teardown(() => app.close())
  const path = join(dir, 'd.sock')
  await app.listen({ path })
  // the state file's directory becomes a regular file: as root too, nothing can be written under it
  rmSync(sub, { recursive: true })
  writeFileSync(sub, 'not a directory')
  const c = await connect(path, t)
  for (const type of ['pause', 'force_rem', 'session_open']) {
    c.send({ type })
    const reply = await c.lines.next()
    t.match(reply, { ok: false, reason: 'state_write_failed', error: new RegExp(`^control state file ${file}: `) }, type)
    t.ok((reply.error as string).length <= 200, 'clipped to 200 characters, as the Python server does')
  }
  c.send({ type: 'status' })
  t.match(await c.lines.next(), { ok: true, scheduler_paused: true }, 'the request itself was recorded in memory, as the Python daemon does')
  app.lifecycle.transition('SLEEP')
  await app.lifecycle.flush()
  t.ok(records.filter((r) => r.msg === 'control state not saved').length >= 4, 'each failed write is logged')

  // the directory is back, but a directory now sits where the file goes: the rename fails
  rmSync(sub)
  mkdirSync(join(file, 'in-the-way'), { recursive: true })
  c.send({ type: 'resume' })
  t.match(await c.lines.next(), { ok: false, reason: 'state_write_failed' })
  t.same(readdirSync(sub), ['state.json'], 'the temporary file was removed')
})

t.test('state file: close() waits for the last write', async (t) => {
  const file = join(tempDir(t), 'state.json')
  const app = linefy({ compat: 'seed' })
  app.register(lifecycle, { stateFile: file })
  await app.ready()
  app.lifecycle.transition('DREAMING')
  await app.close()
  t.equal(readState(file).fsm_state, 'DREAMING')
})

t.test('state file: a first write that fails (a full disk) stops the boot with a clear error', async (t) => {
  const machine = await t.mockImport<typeof import('../src/lifecycle/lifecycle.js')>('../src/lifecycle/lifecycle.js', {
    '../src/lifecycle/state-file.js': {
      readJson: async () => undefined,
      writeJsonAtomic: async () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) }
    }
  })
  const { default: plugin } = await t.mockImport<typeof import('../plugins/lifecycle.js')>('../plugins/lifecycle.js', { '../src/lifecycle/lifecycle.js': machine })
  const app = linefy({ compat: 'seed' })
  app.register(plugin, { stateFile: '/var/lib/memd/state.json' })
  await t.rejects(app.ready(), { code: 'LINEFY_ERR_STATE_FILE', message: /^control state file \/var\/lib\/memd\/state.json: ENOSPC: no space left on device, write: make sure/ })
  await app.close()
})

t.test('state file: a long file name is fine (the temporary file has a short name of its own)', async (t) => {
  const file = join(tempDir(t), 'x'.repeat(250))
  const app = await build(t, { stateFile: file })
  t.same(await app.inject({ type: 'pause' }), { ok: true, paused: true })
  t.equal(readState(file).scheduler_paused, true)
})
