import t, { type Test } from 'tap'
import net from 'node:net'
import { join } from 'node:path'
import { connect } from '../client.js'
import { spawn } from 'node:child_process'
import { cliPath } from './helpers/process.js'
import { tempDir, waitFor } from './helpers/util.js'
import { Lines } from './helpers/wire.js'

const LIMIT = 256
const CLIENTS = 1000

type Outcome = 'answered' | 'wrong' | 'refused'

/** `linefy daemon --demo` under `ulimit -n` LIMIT, its log lines collected. */
function startLimited (t: Test, path: string, limit = LIMIT) {
  const proc = spawn('/bin/sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, cliPath, 'daemon', '--demo', '--socket', path], { stdio: ['ignore', 'ignore', 'pipe'] })
  const err = new Lines(proc.stderr)
  const exited = waitFor<[number | null, NodeJS.Signals | null]>(proc, 'exit', 'the daemon to exit', 60_000).then(([code, signal]) => ({ code, signal }))
  exited.catch(() => {})
  t.teardown(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL') })
  return { proc, err, exited }
}

/** One client of a flood: connects, sends one call, and says what became of it. */
function oneClient (path: string, id: number, sockets: net.Socket[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect(path)
    sockets.push(s)
    let buf = ''
    s.setEncoding('utf8')
    s.on('connect', () => s.write(JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: [id] }) + '\n'))
    s.on('data', (chunk: string) => {
      buf += chunk
      if (!buf.includes('\n')) return
      const reply = JSON.parse(buf.slice(0, buf.indexOf('\n')))
      resolve(reply.id === id && reply.result?.[0] === id ? 'answered' : 'wrong')
    })
    // closed by the daemon without a reply, or the listen backlog full (EAGAIN)
    s.on('error', () => {})
    s.on('close', () => resolve('refused'))
  })
}

/** CLIENTS connecting at once, each with one call; what became of them, and a way to hang up. */
async function flood (t: Test, path: string): Promise<Record<Outcome, number> & { close: () => void }> {
  const sockets: net.Socket[] = []
  const close = (): void => { for (const s of sockets) s.destroy() }
  t.teardown(close)
  const outcomes = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => oneClient(path, i, sockets)))
  const count = { answered: 0, wrong: 0, refused: 0, close }
  for (const o of outcomes) count[o]++
  return count
}

/** Connects and calls until a call is answered: the daemon accepts again once it has seen the flood's sockets close. */
async function servedAgain (path: string, attempts = 200): Promise<void> {
  for (let i = 1; i <= attempts; i++) {
    try {
      const c = await connect(path)
      const r = await c.call('echo', ['again'], { timeout: 5000 })
      await c.close()
      if ((r as string[])[0] === 'again') return
    } catch {}
  }
  throw new Error(`not served after ${attempts} attempts`)
}

t.test(`a daemon limited to ${LIMIT} descriptors under ${CLIENTS} connects: serves whom it can, refuses the rest, logs once per burst, recovers`, async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const limited = startLimited(t, path)
  await limited.err.match(/"msg":"listening"/)
  const held = await connect(path)
  t.teardown(() => held.close())

  const first = await flood(t, path)
  t.equal(first.wrong, 0, 'no reply ever went to the wrong client')
  t.equal(first.answered + first.refused, CLIENTS)
  t.ok(first.answered > 100, `${first.answered} clients served, ${first.refused} refused`)
  t.same(await held.call('echo', ['held']), ['held'], 'a client it had before the flood is still served')
  t.equal(limited.proc.exitCode, null, 'the daemon is up')

  first.close()
  await t.resolves(servedAgain(path), 'a new client is served as soon as the flood has gone')
  const second = await flood(t, path)
  t.equal(second.wrong, 0)
  t.ok(second.answered > 100, `second flood: ${second.answered} served, ${second.refused} refused`)
  second.close()
  await t.resolves(servedAgain(path))

  const log = limited.err.all.map((l) => JSON.parse(l))
  const refusing = log.filter((r) => r.msg === 'refusing connections')
  const again = log.filter((r) => r.msg === 'accepting connections again')
  t.equal(refusing.length, 2, `two bursts, two lines (of ${log.length} in the log)`)
  t.match(refusing[0], { level: 50, err: { code: 'LINEFY_ERR_ACCEPT', message: /all that a limit of 256 open files leaves room for.*ulimit -n/ } })
  t.equal(again.length, 2, 'and one line each when accepting resumes')
  t.ok(again[0].refused > 0 && again[0].refused <= first.refused, `with the count the daemon refused (${again[0].refused} of the ${first.refused} the clients saw refused)`)
  await held.close()
  limited.proc.kill('SIGTERM')
  t.same(await limited.exited, { code: 0, signal: null })
})

t.test('the CLI starts and serves under ulimit -n 64: one bundled file to load, not ~300', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const limited = startLimited(t, path, 64)
  await limited.err.match(/"msg":"listening"/)
  const c = await connect(path)
  t.same(await c.call('add', { a: 2, b: 3 }), 5)
  await c.close()
  limited.proc.kill('SIGTERM')
  t.same(await limited.exited, { code: 0, signal: null })
})
