import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { connect, type RpcError } from '../client.js'
import { cliPath, fixtures } from './helpers/process.js'
import { tempDir, waitFor } from './helpers/util.js'
import { Lines } from './helpers/wire.js'

const MiB = 1024 * 1024
// calls whose failure is logged while the log reader stalls: 32 MiB of log in test:stress
const STALLED_CALLS = process.env.LINEFY_STRESS === '1' ? 4096 : 2048

// the two ways a daemon gets its logger: the CLI's (a stream, process.stderr)
// and linefy's own (pino's destination on fd 2)
const daemons = {
  'linefy daemon': (path: string) => [cliPath, 'daemon', '--demo', '--log-level', 'debug', '--socket', path],
  'linefy({ logger })': (path: string) => [join(fixtures, 'log-daemon.mjs'), path]
}

/** Starts a daemon whose stderr is a pipe the test holds; resolves once it serves. */
async function start (t: Test, argv: string[]) {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const exited = waitFor<[number | null, NodeJS.Signals | null]>(child, 'exit', 'the daemon to exit', 60_000)
  exited.catch(() => {})
  const stdout = new Lines(child.stdout as Readable)
  const stderr = new Lines(child.stderr as Readable)
  // the CLI says so in its log, the fixture on stdout
  if (argv[0] === cliPath) await stderr.find((l) => l.msg === 'listening')
  else await stdout.find((l) => l.listening === true)
  return { child, stderr, exited }
}

/** `n` calls that fail (each logging an error with its stack), all at once; resolves with the error codes. */
async function failures (path: string, n: number, message: string): Promise<number[]> {
  const client = await connect(path)
  const codes = await Promise.all(Array.from({ length: n }, (_, i) =>
    client.call('fail', { message: `${message} ${i}` }, { timeout: 30_000 }).then(() => 0, (err: RpcError) => err.code)))
  await client.close()
  return codes
}

for (const [name, argv] of Object.entries(daemons)) {
  t.test(`${name}: when the reader of its stderr goes away, the daemon keeps serving, logging and all, and exits cleanly`, async (t) => {
    const path = join(tempDir(t), 'd.sock')
    const d = await start(t, argv(path))
    t.same(await failures(path, 1, 'before'), [-32001])
    // the journal restarts: the read end of the pipe is closed, so writes now fail with EPIPE
    d.child.stderr?.destroy()
    const after = await failures(path, 500, 'after')
    t.same(after, Array(500).fill(-32001), '500 logged failures after the pipe broke, each answered')
    d.child.kill('SIGTERM')
    t.same(await d.exited, [0, null], 'a graceful exit, not a crash on EPIPE')
  })

  t.test(`${name}: a stderr reader that stops reading costs bounded memory and blocks nothing; logging resumes when it reads again`, async (t) => {
    const path = join(tempDir(t), 'd.sock')
    const d = await start(t, argv(path))
    d.child.stderr?.pause()
    // what the daemon kept for the reader arrives once it reads again, ahead of any later line
    let held = 0
    d.child.stderr?.on('data', (c: Buffer) => { held += c.length })
    // each failure logs its 4 KiB message twice (message and stack)
    const logged = STALLED_CALLS * 8 * 1024
    const codes = await failures(path, STALLED_CALLS, 'x'.repeat(4096))
    t.ok(codes.every((c) => c === -32001), 'every call answered while nobody read the log')
    d.child.stderr?.resume()
    const notice = await d.stderr.find((l) => l.dropped !== undefined)
    t.match(notice, { level: 40, msg: /log lines dropped/, dropped: Number }, `once the reader caught up, the log said ${notice.dropped} lines were dropped`)
    t.ok(held < 4 * MiB, `of ${logged / MiB} MiB logged while the reader stalled, the daemon held ${(held / MiB).toFixed(1)} MiB (pipe buffer included)`)
    await failures(path, 1, 'read again')
    t.match(await d.stderr.find((l) => l.err?.message === 'read again 0'), { level: 50 }, 'a line logged after that arrives')
    d.child.kill('SIGTERM')
    t.same(await d.exited, [0, null])
  })
}
