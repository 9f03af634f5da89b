import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { buildDaemon } from '../src/daemon/daemon.js'
import { tempSocket } from './helpers/util.js'
import { Lines } from './helpers/wire.js'

// One recorded session of the reference daemon: each entry is a line sent and
// the reply expected. Fields listed in `vary` (session ids, timings, pids,
// JSON.parse's wording) are compared by type only.
interface Entry {
  note: string
  send: string
  reply: Record<string, unknown>
  vary?: string[]
  /** The exact reply line, where it is not JSON.stringify(reply): non-ASCII goes out escaped. */
  line?: string
}

const session: Entry[] = readFileSync(new URL('../fixtures/seed-session.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line) as Entry)

function blank (obj: unknown, path: string): unknown {
  const keys = path.split('.')
  const last = keys.pop() as string
  let o = obj as Record<string, unknown>
  for (const k of keys) o = o[k] as Record<string, unknown>
  const value = o[last]
  o[last] = '<varies>'
  return value
}

function check (t: Test, entry: Entry, actual: unknown): void {
  const expected = structuredClone(entry.reply)
  const got = structuredClone(actual)
  for (const path of entry.vary ?? []) {
    const want = blank(expected, path)
    t.equal(typeof blank(got, path), typeof want, `${entry.note}: ${path} is a ${typeof want}`)
  }
  // compared as text: deep-equal helpers recurse, and one entry nests 1500 levels
  t.equal(JSON.stringify(got), JSON.stringify(expected), entry.note)
}

function parsed (line: string): { method?: unknown } | null {
  try {
    return JSON.parse(line)
  } catch {
    return null
  }
}

t.test('the fixture covers every part of the wire contract', async (t) => {
  const codes = new Set(session.map((e) => (e.reply.error as { code?: number } | undefined)?.code))
  for (const code of [-32700, -32600, -32601, -32602, -32001]) t.ok(codes.has(code), `error ${code}`)
  const controls = new Set(session.filter((e) => e.reply.jsonrpc === undefined).map((e) => (JSON.parse(e.send) as { type: string }).type))
  t.same([...controls].sort(), ['force_rem', 'force_wake', 'pause', 'resume', 'session_open', 'status', 'user_initiated_sleep'])
  const methods = new Set(session.map((e) => parsed(e.send)?.method))
  for (const m of ['echo', 'add', 'sleep', 'fail']) t.ok(methods.has(m), m)
  const shapes = new Set(session.map((e) => e.reply.reason ?? e.reply.paused ?? e.reply.state))
  for (const shape of ['session_open_queued', 'wake_queued', 'rem_queued', 'invalid_message', 'TRANSITIONING', true, false, 'WAKE']) t.ok(shapes.has(shape), `control reply ${String(shape)}`)
  t.ok(session.some((e) => e.line !== undefined && /\\u[0-9a-f]{4}/.test(e.line)), 'a non-ASCII reply, escaped')
})

t.test('replayed through inject, on one connection', async (t) => {
  const app = buildDaemon({ demo: true, logLevel: 'silent' })
  t.teardown(() => app.close())
  const replies = await app.inject(session.map((e) => e.send))
  t.equal(replies.length, session.length)
  for (const [i, entry] of session.entries()) check(t, entry, replies[i])
})

t.test('replayed over a real unix socket: every line answered in order, one line each', async (t) => {
  const path = tempSocket(t)
  const app = buildDaemon({ demo: true, logLevel: 'silent', socketPath: path })
  t.teardown(() => app.close())
  await app.ready()
  const socket = connect(path)
  t.teardown(() => socket.destroy())
  const log = new Lines(socket)
  socket.write(session.map((e) => e.send + '\n').join(''))
  const lines = await log.count(session.length)
  for (const [i, entry] of session.entries()) {
    const line = lines[i] as string
    check(t, entry, JSON.parse(line))
    // byte for byte: compact JSON, keys in the order the Python server wrote them
    if (entry.vary === undefined) t.equal(line, entry.line ?? JSON.stringify(entry.reply), `${entry.note}: exact line`)
  }
  t.equal(socket.destroyed, false, 'the connection is still open')
})

t.test('buildDaemon: seed compat, info logs by default, no transport unless asked', async (t) => {
  const app = buildDaemon()
  t.teardown(() => app.close())
  t.equal(app.log.level, 'info')
  await app.ready()
  t.same(app.addresses(), [])
  t.match(await app.inject({ jsonrpc: '2.0', method: 'echo' }), { id: null, error: { code: -32600, message: 'id required and non-null' } })
  t.same(await app.inject({ jsonrpc: '2.0', id: 1, method: 'echo' }), { jsonrpc: '2.0', id: 1, error: { code: -32601, message: "unknown method 'echo'" } }, 'demo methods only with demo: true')
})

t.test('buildDaemon: under socket activation the inherited fds replace the socket path', async (t) => {
  const chosen: string[] = []
  const fake = (name: string) => Object.assign(async () => { chosen.push(name) }, { [Symbol.for('skip-override')]: true })
  const { buildDaemon: build } = await t.mockImport<typeof import('../src/daemon/daemon.js')>('../src/daemon/daemon.js', {
    '../plugins/activation.js': { default: fake('activation'), activationFds: () => [{ fd: 3, name: 'unknown' }] },
    '../plugins/unix.js': { default: fake('unix') }
  })
  const app = build({ socketPath: '/never/created.sock', logLevel: 'silent' })
  t.teardown(() => app.close())
  await app.ready()
  t.same(chosen, ['activation'])
})
