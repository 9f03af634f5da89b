import t from 'tap'
import { join } from 'node:path'
import { tempDir, whenClosed } from './helpers/util.js'
import { runFixture } from './helpers/process.js'
import { connect, type Client } from './helpers/wire.js'

// test:stress runs the sizes; npm test a smaller soak of the same shape
const STRESS = process.env.LINEFY_STRESS === '1'
const ROUNDS = STRESS ? 50 : 6
const CONNS = STRESS ? 1000 : 100
const CALLS = STRESS ? 100 : 20
// the round whose memory the last is compared with: past warm-up (JIT, pools, caches)
const WARM = STRESS ? 5 : 3
// connects in flight at once: the daemon's listen backlog is node's default (511)
const WAVE = 250
const MiB = 1024 * 1024

interface Stats {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
  resources: string[]
  activity: { connections: number, inFlight: number, queued: number }
}

const tally = (names: string[]): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const n of names) out[n] = (out[n] ?? 0) + 1
  return out
}

t.test(`soak: ${ROUNDS} rounds of ${CONNS} connections x ${CALLS} calls against the reference daemon, memory flat, nothing left behind`, async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const daemon = runFixture(t, 'soak-daemon.mjs', [path], { nodeArgs: ['--expose-gc'] })
  await daemon.stdout.nextLine()
  const admin = await connect(path, t)
  t.teardown(() => admin.socket.destroy())
  const stats = async () => await admin.request({ type: 'stats' }) as unknown as Stats
  const first = await stats()
  const rounds: Stats[] = []
  let wrong = 0

  for (let round = 1; round <= ROUNDS; round++) {
    const clients: Client[] = []
    for (let i = 0; i < CONNS; i += WAVE) {
      clients.push(...await Promise.all(Array.from({ length: Math.min(WAVE, CONNS - i) }, () => connect(path, t))))
    }
    for (const [c, client] of clients.entries()) {
      for (let i = 0; i < CALLS; i++) client.send({ jsonrpc: '2.0', id: i, method: 'echo', params: [round, c, i] })
    }
    await Promise.all(clients.map((c) => c.lines.count(CALLS, 120_000)))
    for (const [c, client] of clients.entries()) {
      client.lines.parsed().forEach((r, i) => {
        const x = r.result as number[] | undefined
        if (r.id !== i || x?.[0] !== round || x[1] !== c || x[2] !== i) wrong++
      })
      client.socket.destroy()
    }
    await Promise.all(clients.map((c) => whenClosed(c.socket)))
    // the daemon sees each close a moment after the client does: ask until it has
    let s = await stats()
    for (let tries = 0; s.activity.connections > 1 && tries < 1000; tries++) s = await stats()
    rounds.push(s)
  }

  const last = rounds[ROUNDS - 1]
  const warm = rounds[WARM - 1]
  const mib = (n: number) => (n / MiB).toFixed(1)
  t.equal(wrong, 0, `all ${ROUNDS * CONNS * CALLS} replies correct and matched`)
  t.match(last.activity, { connections: 1, inFlight: 0, queued: 0 }, 'app.activity back to zero (the one connection left is the one asking)')
  t.same(tally(last.resources), tally(first.resources), 'the same active handles as before the first round')
  t.ok(Math.abs(last.heapUsed - warm.heapUsed) <= warm.heapUsed * 0.1,
    `heap after round ${ROUNDS} within 10 % of round ${WARM}: ${mib(warm.heapUsed)} -> ${mib(last.heapUsed)} MiB`)
  // RSS moves with the allocator, not only with what is live: flat means no
  // trend, so the last rounds may not rise above the highest of the warm-up
  const warmPeak = Math.max(...rounds.slice(0, WARM).map((r) => r.rss))
  t.ok(last.rss <= warmPeak * 1.1, `RSS flat after warm-up: at most ${mib(warmPeak)} MiB through round ${WARM}, ${mib(last.rss)} MiB after round ${ROUNDS}`)
  t.comment(`heap MiB per round: ${rounds.map((r) => mib(r.heapUsed)).join(' ')}`)
  t.comment(`rss MiB per round: ${rounds.map((r) => mib(r.rss)).join(' ')}`)
  t.comment(`before the first round: heap ${mib(first.heapUsed)} MiB, rss ${mib(first.rss)} MiB; handles ${JSON.stringify(tally(first.resources))}`)
  daemon.proc.kill('SIGTERM')
})
