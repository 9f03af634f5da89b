import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { join } from 'node:path'
import t from 'tap'
import linefy, { type Connection } from '../index.js'
import { deferred, rpc, tempDir, waitFor } from './helpers/util.js'
import { chunkStream, connect } from './helpers/wire.js'

t.test('a client that does not read: the server stops reading it, holds little, and serves others', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy()
  let handled = 0
  const reply = 'y'.repeat(1024)
  app.method('fill', async () => { handled++; return reply })
  app.method('echo', async (req) => req.params)
  const first = deferred<Connection>()
  app.addHook('onConnection', async (conn) => first.resolve(conn))
  t.teardown(() => app.close())
  await app.listen({ path })

  const flood = await connect(path, t)
  const conn = await first.promise
  flood.socket.pause()
  const N = 20_000
  flood.socket.write(`{"jsonrpc":"2.0","id":0,"method":"fill"}\n`.repeat(N))

  // served meanwhile: each round trip of another client is an event in which the
  // flooding connection could make progress; stop once it has made none for a while
  const other = await connect(path, t)
  let stable = 0
  let last = -1
  let trips = 0
  while (stable < 50 && trips < 2000) {
    const r = await other.call('echo', [trips++])
    if (r.result[0] !== trips - 1) t.fail('another client got a wrong reply')
    stable = handled === last ? stable + 1 : 0
    last = handled
  }
  t.equal(stable, 50, `the server stopped running the flood's requests (after ${handled})`)
  t.ok(conn.framesRead < N / 2, `it stopped reading too: ${conn.framesRead} of ${N} lines read`)
  const stream = conn.stream as Socket
  t.ok(conn.pending <= 256 + 64 * 1024 / 40, `lines read and waiting are bounded by maxBacklog and one read (${conn.pending})`)
  t.ok(stream.readableLength <= 128 * 1024, `so is what waits to be read (${stream.readableLength} bytes)`)
  t.ok(stream.writableLength <= 64 * 1024, `and replies waiting for the client (${stream.writableLength} bytes)`)
  t.ok(flood.socket.writableLength > 0, `the client's own writes are not being accepted (${flood.socket.writableLength} bytes wait on its side)`)
  t.same(app.activity.inFlight, 0, 'nothing runs for the stalled client')

  // once it reads again, every request is answered
  flood.socket.resume()
  await flood.lines.count(N)
  t.equal(handled, N)
  t.equal(conn.pending, 0)
})

t.test('one drain listener per connection, however many replies wait', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy({ perConnection: 64 })
  const big = 'z'.repeat(256 * 1024)
  app.method('big', async () => big)
  const first = deferred<Connection>()
  app.addHook('onConnection', async (conn) => first.resolve(conn))
  const answered = deferred()
  let n = 0
  app.addHook('onResponse', async () => { if (++n === 64) answered.resolve() })
  t.teardown(() => app.close())
  await app.listen({ path })
  const c = await connect(path, t)
  c.socket.pause()
  c.socket.write(`{"jsonrpc":"2.0","id":1,"method":"big"}\n`.repeat(64))
  const conn = await first.promise
  await answered.promise
  t.equal((conn.stream as Socket).listenerCount('drain'), 1)
})

t.test('a client pipelining many small requests gets every reply: reading resumes as the backlog empties', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy({ maxBacklog: 16 })
  app.method('echo', async (req) => req.params)
  t.teardown(() => app.close())
  await app.listen({ path })
  const c = await connect(path, t)
  const N = 50_000
  c.socket.write('{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}\n'.repeat(N))
  const replies = (await c.lines.count(N)).length
  const wrong = c.lines.all.filter((l) => l.includes('error')).length
  t.equal(replies, N)
  t.equal(wrong, 0)
})

t.test('the replies to the lines of one read go out in one write, as soon as it has been read; later ones on the next tick', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const later = deferred<string>()
  app.method('echo', (req) => req.params)
  app.method('later', () => later.promise)
  await app.ready()
  const writes: string[] = []
  const stream = new Duplex({ read () {}, write (chunk, _enc, cb) { writes.push(chunk.toString()); cb() } })
  app.serve(stream)
  const line = (id: number, method = 'echo') => JSON.stringify({ jsonrpc: '2.0', id, method, params: [id] }) + '\n'
  stream.emit('data', Buffer.from(line(1) + line(2) + line(3)))
  t.equal(writes.length, 1, 'written before the read returned: no tick in between')
  t.same(writes[0]?.trimEnd().split('\n').map((l) => JSON.parse(l).id), [1, 2, 3], 'the three replies in one write, in order')
  stream.emit('data', Buffer.from(line(4, 'later')))
  t.equal(writes.length, 1, 'nothing to write for a request still running')
  later.resolve('done')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(writes.slice(1).map((w) => JSON.parse(w).result), ['done'], 'a reply made after the read goes out on its own tick')
})

t.test('reading stops with exactly maxBacklog lines waiting, and stops again each time it has resumed', async (t) => {
  const app = linefy({ maxBacklog: 3 })
  t.teardown(() => app.close())
  const releases: Array<() => void> = []
  let holding = true
  app.method('hold', (req) => holding ? new Promise((resolve) => { releases.push(() => resolve(req.id)) }) : req.id)
  await app.ready()
  const sock = chunkStream()
  t.teardown(() => sock.server.destroy())
  const conn = app.serve(sock.server)
  let paused = waitFor(sock.server, 'pause')
  for (let i = 0; i < 10; i++) sock.push(JSON.stringify(rpc(i, 'hold')) + '\n')
  await paused
  t.equal(conn.framesRead, 4, 'one line running, three waiting, the rest unread')
  for (let read = 5; read <= 10; read++) {
    paused = waitFor(sock.server, 'pause')
    ;(releases.shift() as () => void)()
    await paused
    t.equal(conn.framesRead, read, 'one more line read for each that finished')
  }
  holding = false
  for (const release of releases.splice(0)) release()
  t.same((await sock.lines.count(10)).map((l) => JSON.parse(l).result), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every line answered, in order')
})

t.test('once a reply fills the write buffer, the rest of the lines read with it wait: they do not run and pile up more replies', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let handled = 0
  const reply = 'b'.repeat(200)
  app.method('big', () => { handled++; return reply })
  await app.ready()
  const sock = chunkStream({ highWaterMark: 100, slowReader: true })
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  let atFirstDrain = -1
  // ahead of the connection's own listener, which starts the next line
  sock.server.prependOnceListener('drain', () => { atFirstDrain = handled })
  sock.push([0, 1, 2, 3, 4].map((i) => JSON.stringify(rpc(i, 'big')) + '\n').join(''))
  t.same((await sock.lines.count(5)).map((l) => JSON.parse(l).id), [0, 1, 2, 3, 4], 'all answered as the reader kept up')
  t.equal(atFirstDrain, 1, 'only one had run before the reader took its reply')
})
