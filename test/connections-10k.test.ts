import t from 'tap'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { connectionCap, fdLimit } from '../src/transport/fd-limit.js'
import { tempDir, whenClosed } from './helpers/util.js'
import { runFixture } from './helpers/process.js'
import { connect, type Client } from './helpers/wire.js'

// test:stress runs the size; npm test a fifth of it
const STRESS = process.env.LINEFY_STRESS === '1'
const N = STRESS ? 10_000 : 2000
const WAVE = 250
const MiB = 1024 * 1024

interface Stats { rss: number, heapUsed: number, external: number, arrayBuffers: number, resources: string[], activity: { connections: number, inFlight: number, queued: number }, held: number }

/**
 * This process and the daemon it starts each need a descriptor per
 * connection, and the daemon's cap keeps a share for itself. Raises this
 * process's limit (the child inherits it) where it may; the limit it ends with.
 */
function raiseFdLimit (need: number): number | null {
  const limit = fdLimit()
  if (limit === null || limit >= need) return limit
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${need}:${need}`], { stdio: 'ignore' })
  } catch {}
  return fdLimit()
}

t.test(`${N} concurrent connections, each with a call in flight: every one answered and matched`, async (t) => {
  let need = N + 64
  while ((connectionCap(need) as number) < N + 16) need += 64
  const limit = raiseFdLimit(need)
  if (limit !== null && limit < need) {
    t.plan(0, `needs ${need} open files per process; the limit here is ${limit} and raising it takes CAP_SYS_RESOURCE: run with ulimit -n ${need}`)
    return
  }
  const path = join(tempDir(t), 'd.sock')
  const daemon = runFixture(t, 'soak-daemon.mjs', [path], { env: { ...process.env, ...{ LINEFY_CONCURRENCY: String(N + 16) } }, nodeArgs: ['--expose-gc'] })
  await daemon.stdout.nextLine()
  const admin = await connect(path, t)
  t.teardown(() => admin.socket.destroy())
  const stats = async () => await admin.request({ type: 'stats' }) as unknown as Stats
  const before = await stats()

  const clients: Client[] = []
  t.teardown(() => { for (const c of clients) c.socket.destroy() })
  for (let i = 0; i < N; i += WAVE) {
    clients.push(...await Promise.all(Array.from({ length: Math.min(WAVE, N - i) }, () => connect(path, t))))
    // a connect completes in the kernel before the daemon accepts it: the next
    // wave waits until it has, or the listen backlog (511) overflows (EAGAIN)
    let s = await admin.request({ type: 'status' }) as { connections: number }
    for (let tries = 0; s.connections < clients.length + 1 && tries < 10_000; tries++) s = await admin.request({ type: 'status' }) as { connections: number }
  }
  for (const [i, c] of clients.entries()) c.send({ jsonrpc: '2.0', id: i, method: 'hold', params: [i] })
  // every call is in the daemon's hands before any is answered
  let during = await stats()
  for (let tries = 0; during.held < N && tries < 10_000; tries++) during = await stats()
  t.equal(during.held, N, `${N} calls in flight at once`)
  t.match(during.activity, { connections: N + 1, inFlight: N, queued: 0 })

  t.match(await admin.request({ type: 'release' }), { ok: true, released: N })
  await Promise.all(clients.map((c) => c.lines.count(1, 60_000)))
  const wrong = clients.filter((c, i) => c.lines.parsed().length !== 1 || c.lines.parsed()[0].id !== i || (c.lines.parsed()[0].result as number[])[0] !== i)
  t.equal(wrong.length, 0, `all ${N} answered, each with its own reply`)

  for (const c of clients) c.socket.destroy()
  await Promise.all(clients.map((c) => whenClosed(c.socket)))
  let after = await stats()
  for (let tries = 0; after.activity.connections > 1 && tries < 10_000; tries++) after = await stats()
  t.match(after.activity, { connections: 1, inFlight: 0, queued: 0 }, 'all gone again')
  t.same(after.resources.sort(), before.resources.sort(), 'no handle left behind')
  const perConn = (k: 'rss' | 'heapUsed') => (during[k] - before[k]) / N
  t.comment(`${N} connections with a call in flight: ${(perConn('rss') / 1024).toFixed(1)} KiB RSS and ${(perConn('heapUsed') / 1024).toFixed(1)} KiB heap per connection (heap ${(before.heapUsed / MiB).toFixed(1)} -> ${(during.heapUsed / MiB).toFixed(1)} -> ${(after.heapUsed / MiB).toFixed(1)} MiB, rss ${(before.rss / MiB).toFixed(1)} -> ${(during.rss / MiB).toFixed(1)} -> ${(after.rss / MiB).toFixed(1)} MiB)`)
})
