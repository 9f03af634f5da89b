import t from 'tap'
import { join } from 'node:path'
import { connect, RpcError, type Client } from '../client.js'
import { deferred, tempDir } from './helpers/util.js'
import { startDaemon } from './helpers/process.js'
import { connect as connectRaw } from './helpers/wire.js'

const STRESS = process.env.LINEFY_STRESS === '1'
const CLIENTS = STRESS ? 64 : 16
const PIPELINED = STRESS ? 10_000 : 1000
const FROZEN_MS = 2000
const TIMEOUT_MS = 300

interface Tally { results: number, wrong: number, timeouts: number, other: string[] }

t.test(`a daemon frozen for ${FROZEN_MS / 1000} s under load (SIGSTOP, then SIGCONT): callers with a timeout get -32003 and nothing else, every line it had read is answered, new calls succeed`, async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const d = await startDaemon(t, path)

  const clients: Client[] = await Promise.all(Array.from({ length: CLIENTS }, () => connect(path)))
  const lost: string[] = []
  for (const c of clients) c.on('close', () => lost.push('a client connection closed'))
  t.teardown(() => Promise.all(clients.map((c) => c.close())))
  const tally: Tally = { results: 0, wrong: 0, timeouts: 0, other: [] }
  let running = true
  // resolves once `n` results in all have come back
  let target = { n: CLIENTS * 20, reached: deferred() }
  const loops = clients.map(async (c, n) => {
    for (let i = 0; running; i++) {
      try {
        const r = await c.call('echo', [n, i], { timeout: TIMEOUT_MS }) as number[]
        if (r[0] === n && r[1] === i) tally.results++
        else tally.wrong++
        if (tally.results >= target.n) target.reached.resolve()
      } catch (err) {
        if (err instanceof RpcError && err.code === -32003) tally.timeouts++
        else tally.other.push(String((err as Error).message))
      }
    }
  })
  await target.reached.promise

  const raw = await connectRaw(path, t)
  d.proc.kill('SIGSTOP')
  t.teardown(() => { d.proc.kill('SIGCONT') })
  const before = { ...tally }
  // lines that reach the frozen daemon's socket, to be read once it runs again
  for (let i = 0; i < PIPELINED; i++) raw.send({ jsonrpc: '2.0', id: i, method: 'echo', params: [i] })
  // the freeze itself is the scenario: it lasts as long as it lasts
  await new Promise((resolve) => setTimeout(resolve, FROZEN_MS))
  const during = { ...tally }
  const thawed = Date.now()
  d.proc.kill('SIGCONT')

  await raw.lines.count(PIPELINED, 60_000)
  const replies = raw.lines.parsed()
  const backlogMs = Date.now() - thawed
  // the callers go on calling after the thaw, and get results again
  target = { n: tally.results + CLIENTS * 10, reached: deferred() }
  await target.reached.promise
  running = false
  await Promise.all(loops)

  t.ok(during.timeouts - before.timeouts >= CLIENTS, `${during.timeouts - before.timeouts} calls timed out during the freeze`)
  t.same(tally.other, [], 'no error but -32003: no -32002, no stray reply')
  t.equal(tally.wrong, 0, 'no result went to the wrong call')
  t.same(lost, [], 'no connection was lost')
  t.equal(replies.length, PIPELINED)
  t.ok(replies.every((r: { id: number, result: number[] }, i: number) => r.id === i && (r.result as number[])[0] === i), `all ${PIPELINED} lines sent to the frozen daemon answered, in order, after the thaw (${backlogMs} ms)`)
  const fresh = await connect(path)
  t.same(await fresh.call('add', { a: 2, b: 3 }), 5, 'a new client is served')
  const status = await fresh.control('status') as { in_flight: number, queued: number }
  t.match(status, { ok: true, in_flight: 0, queued: 0 }, 'nothing left running or queued')
  await fresh.close()
  t.comment(`frozen ${FROZEN_MS} ms under ${CLIENTS} looping clients: ${during.timeouts - before.timeouts} timed out (-32003), ${PIPELINED} pipelined lines answered ${backlogMs} ms after SIGCONT, ${tally.results} results in all`)
})
