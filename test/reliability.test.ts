import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import linefy from '../index.js'
import { tempDir, whenClosed } from './helpers/util.js'
import { runFixture } from './helpers/process.js'
import { connect } from './helpers/wire.js'

// The full sizes of the issue run under `npm run test:stress`.
const STRESS = process.env.LINEFY_STRESS === '1'
const MiB = 1024 * 1024
// how long a wait for replies may take: these tests load the daemon on purpose
const WAIT = 30_000

async function daemon (t: Parameters<typeof tempDir>[0], opts: Record<string, unknown> = {}) {
  const path = join(tempDir(t), 'd.sock')
  const fixture = runFixture(t, 'reliability-server.mjs', [path], {
    env: { ...process.env, LINEFY_OPTS: JSON.stringify(opts) },
    nodeArgs: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'inherit']
  })
  await fixture.stdout.nextLine() // it prints one line once it listens
  const admin = await connect(path, t)
  const memory = async () => await admin.request({ type: 'memory' }, WAIT) as { rss: number, heapUsed: number, arrayBuffers: number }
  const stats = async () => await admin.request({ type: 'stats' }, WAIT) as { framesRead: number, busiest: number, connections: number }
  return { path, ...fixture, admin, memory, stats }
}

const echo = (id: number, x: unknown) => ({ jsonrpc: '2.0', id, method: 'echo', params: { x } })

t.test('serves many concurrent connections with every reply correct and matched, and gives the memory back', async (t) => {
  const conns = STRESS ? 1000 : 200
  const calls = STRESS ? 100 : 50
  const d = await daemon(t)
  const before = await d.memory()

  const clients = await Promise.all(Array.from({ length: conns }, () => connect(d.path, t)))
  for (const [c, client] of clients.entries()) {
    for (let i = 0; i < calls; i++) client.send(echo(i, `${c}:${i}`))
  }
  await clients[0].lines.count(calls, WAIT)
  const during = await d.memory()
  await Promise.all(clients.map((c) => c.lines.count(calls, 120_000)))

  let wrong = 0
  for (const [c, client] of clients.entries()) {
    client.lines.parsed().forEach((r, i) => {
      if (r.id !== i || (r.result as { x?: unknown })?.x !== `${c}:${i}`) wrong++
    })
  }
  t.equal(wrong, 0, `all ${conns * calls} replies correct, in order, matched to their ids`)

  for (const c of clients) c.socket.destroy()
  await Promise.all(clients.map((c) => whenClosed(c.socket)))
  let s = await d.stats()
  while (s.connections > 1) s = await d.stats()
  const after = await d.memory()
  t.equal(s.connections, 1, 'only the admin connection is left')
  t.ok(after.heapUsed - before.heapUsed < 8 * MiB, `heap back to its size before the load (${(before.heapUsed / MiB).toFixed(1)} -> ${(after.heapUsed / MiB).toFixed(1)} MiB)`)
  t.comment(`load ${conns}x${calls}: rss before ${(before.rss / MiB).toFixed(1)} MiB, during ${(during.rss / MiB).toFixed(1)} MiB, after ${(after.rss / MiB).toFixed(1)} MiB; heap ${(before.heapUsed / MiB).toFixed(1)} / ${(during.heapUsed / MiB).toFixed(1)} / ${(after.heapUsed / MiB).toFixed(1)} MiB`)
})

t.test('a client that writes without reading is throttled, memory stays bounded, and others are served', async (t) => {
  const requests = 100_000
  const d = await daemon(t)
  const before = await d.memory()

  const slow = net.connect(d.path)
  await once(slow, 'connect')
  slow.pause()
  slow.on('error', () => {})
  t.teardown(() => slow.destroy())
  const line = JSON.stringify(echo(1, 'a fairly ordinary payload of some size')) + '\n'
  slow.write(line.repeat(requests))

  // the daemon has stopped reading once two polls, each a round trip on another
  // connection that is served meanwhile, see the same count of lines read
  let last = -1
  let served = 0
  let s = await d.stats()
  while (s.busiest !== last) {
    last = s.busiest
    const fast = await d.admin.request(echo(7, 'still served'), WAIT)
    if ((fast.result as { x: string }).x === 'still served') served++
    s = await d.stats()
  }
  const during = await d.memory()
  t.ok(served > 0, 'another client was served while the slow one flooded')
  t.ok(s.busiest < requests, `the daemon stopped reading at ${s.busiest} of ${requests} lines`)
  t.ok(during.heapUsed - before.heapUsed < 32 * MiB, `heap bounded while the client does not read (+${((during.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB)`)
  t.ok(slow.writableLength > 0, 'the rest waits on the client side, not in the daemon')
  t.comment(`slow reader: daemon read ${s.busiest} of ${requests} lines; heap +${((during.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB, rss ${(during.rss / MiB).toFixed(1)} MiB`)
})

t.test('a 50 MiB line without a newline is refused once and the connection goes on', async (t) => {
  const d = await daemon(t)
  const before = await d.memory()
  const c = await connect(d.path, t)
  const chunk = Buffer.alloc(MiB, 'x')
  for (let i = 0; i < 50; i++) {
    if (!c.socket.write(chunk)) await once(c.socket, 'drain')
  }
  const during = await d.memory()
  c.socket.write('\n')
  c.send(echo(2, 'after'))
  await c.lines.count(2, WAIT)
  const [tooLong, next] = c.lines.parsed()
  t.equal((tooLong.error as { code: number }).code, -32600)
  t.match((tooLong.error as { message: string }).message, /maxLineBytes/)
  t.same(next, { jsonrpc: '2.0', id: 2, result: { x: 'after' } })
  const grew = during.heapUsed + during.arrayBuffers - before.heapUsed - before.arrayBuffers
  // holding the line would cost 50 MiB; read chunks in transit on a loaded machine cost a few
  t.ok(grew < 32 * MiB, `the daemon never buffered the line (+${(grew / MiB).toFixed(1)} MiB heap and buffers)`)
})

t.test('a writer sending one byte at a time is answered', async (t) => {
  const d = await daemon(t)
  const c = await connect(d.path, t)
  const bytes = Buffer.from(JSON.stringify(echo(3, 'drip')) + '\n' + JSON.stringify(echo(4, 'drop')) + '\r\n')
  for (const b of bytes) await new Promise<void>((resolve) => c.socket.write(Buffer.from([b]), () => resolve()))
  await c.lines.count(2, WAIT)
  t.same(c.lines.parsed(), [
    { jsonrpc: '2.0', id: 3, result: { x: 'drip' } },
    { jsonrpc: '2.0', id: 4, result: { x: 'drop' } }
  ])
})

t.test('random bytes, invalid UTF-8 and NUL bytes get errors and the next client is served', async (t) => {
  const d = await daemon(t)
  const c = await connect(d.path, t)
  const garbage = randomBytes(256 * 1024)
  c.socket.write(Buffer.concat([garbage, Buffer.from('\n\xff\xfe{"bad":1}\n\u0000\n{"jsonrpc":"2.0","id":9,"method":"echo","params":{"x":"\u0000"}}\n', 'latin1')]))
  c.send(echo(5, 'last'))
  const last = await c.lines.find((r) => r.id === 5, WAIT)
  t.same(last, { jsonrpc: '2.0', id: 5, result: { x: 'last' } })
  const others = c.lines.parsed().filter((r) => r.id !== 5)
  t.ok(others.length >= 3, 'each garbage line got its own reply')
  t.ok(others.every((r) => r.error !== undefined), 'garbage gets errors, never results')
  const next = await connect(d.path, t)
  t.same(await next.request(echo(6, 'next'), WAIT), { jsonrpc: '2.0', id: 6, result: { x: 'next' } })
})

t.test('a client killed mid-write leaves the daemon serving', async (t) => {
  const d = await daemon(t)
  const killer = spawn(process.execPath, ['-e', `
    const s = require('net').connect(${JSON.stringify(d.path)}, () => {
      s.write('{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":60000}}\\n{"jsonrpc":"2.0","id":2,"me', () => process.kill(process.pid, 'SIGKILL'))
    })`], { stdio: 'ignore' })
  const [, signal] = await once(killer, 'exit')
  t.equal(signal, 'SIGKILL')
  let s = await d.stats()
  while (s.connections > 1) s = await d.stats()
  t.equal(s.connections, 1, 'the dead client is gone from the count')
  t.same(await d.admin.request(echo(8, 'alive'), WAIT), { jsonrpc: '2.0', id: 8, result: { x: 'alive' } })
})

t.test('SIGTERM under load: every line the daemon read gets exactly one reply', async (t) => {
  const conns = STRESS ? 64 : 16
  const perConn = STRESS ? 2000 : 300
  const d = await daemon(t, { closeGraceMs: 5000 })
  d.admin.socket.destroy()
  const clients = await Promise.all(Array.from({ length: conns }, () => connect(d.path, t)))
  for (const client of clients) {
    for (let i = 0; i < perConn; i++) {
      client.send(i % 3 === 0
        ? { jsonrpc: '2.0', id: i, method: 'sleep', params: { ms: i % 7 } }
        : echo(i, i))
    }
  }
  await clients[0].lines.count(Math.floor(perConn / 10), WAIT)
  d.proc.kill('SIGTERM')
  await Promise.all(clients.map((c) => whenClosed(c.socket)))
  const { code } = await d.exited

  const report = JSON.parse(d.stdout.text.split('\n').filter(Boolean).pop() as string) as { framesRead: number }
  let replies = 0
  let duplicates = 0
  let wrong = 0
  let shuttingDown = 0
  for (const client of clients) {
    const seen = new Set<unknown>()
    for (const r of client.lines.parsed()) {
      if (seen.has(r.id)) duplicates++
      seen.add(r.id)
      replies++
      const err = r.error as { code: number } | undefined
      if (err?.code === -32005) shuttingDown++
      else if (err !== undefined) wrong++
    }
  }
  t.equal(code, 0, 'the daemon exits 0')
  t.equal(replies, report.framesRead, `${report.framesRead} lines read, ${replies} replies`)
  t.equal(duplicates, 0, 'no request answered twice')
  t.equal(wrong, 0, 'every reply is a result or -32005')
  t.comment(`SIGTERM under load: ${conns}x${perConn} sent, ${report.framesRead} read, ${replies} answered (${shuttingDown} with -32005)`)
})

t.test('input at the edges of JSON is answered, never a crash', async (t) => {
  const app = linefy({ maxLineBytes: 16 * MiB })
  app.method('echo', (req) => req.params)
  t.teardown(() => app.close())
  const deepArrays = '['.repeat(100_000) + ']'.repeat(100_000)
  const deepObjects = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)
  const call = (id: number, params: string) => `{"jsonrpc":"2.0","id":${id},"method":"echo","params":${params}}`
  const hugeBatch = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => echo(i, i)))
  const replies = await app.inject([
    call(1, deepArrays),
    call(2, deepObjects),
    call(3, '[NaN]'),
    call(4, '[Infinity]'),
    '{"jsonrpc":"2.0","id":1e400,"method":"echo"}',
    call(6, '[1e400, -0, 123456789012345678901234567890, 5e-324]'),
    call(7, '["\\ud800", "\\u0000", ""]'),
    hugeBatch,
    '[]'
  ]) as Array<{ id: unknown, result?: unknown, error?: { code: number, message: string } }>
  t.equal(replies[0].error?.code, -32603, '100,000 nested arrays: the echo cannot be serialised, and says so')
  t.equal(replies[1].error?.code, -32603, '100,000 nested objects: likewise')
  t.equal(replies[2].error?.code, -32700, 'NaN is not JSON')
  t.equal(replies[3].error?.code, -32700, 'Infinity is not JSON')
  t.same(replies[4].error?.code, -32600, 'an id that overflows to Infinity is refused')
  t.same(replies[5], { jsonrpc: '2.0', id: 6, result: [null, 0, 1.2345678901234568e29, 5e-324] }, 'numbers at the edges round-trip as JSON has them')
  t.same(replies[6], { jsonrpc: '2.0', id: 7, result: ['\ud800', '\u0000', ''] }, 'a lone surrogate and a NUL inside strings round-trip as data')
  t.match(replies[7], { id: null, error: { code: -32600, message: /maxBatch/ } }, 'a 100,000-request batch is refused by its length')
  t.match(replies[8], { id: null, error: { code: -32600 } }, 'an empty batch is invalid')
  t.equal(app.activity.inFlight, 0)
})
