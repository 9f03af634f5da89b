import type { Socket } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import linefy, { type Connection } from '../index.js'
import { deferred, rpc, tempDir, waitFor, whenClosed } from './helpers/util.js'
import { chunkStream, connect } from './helpers/wire.js'

t.test('a client that shuts its write side after sending gets every reply, then the end', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy()
  const release = deferred()
  const started = deferred<AbortSignal>()
  app.method('slow', async (req) => {
    started.resolve(req.signal)
    await release.promise
    return 'slow'
  })
  app.method('echo', async (req) => req.params)
  const first = deferred<Connection>()
  app.addHook('onConnection', async (conn) => first.resolve(conn))
  t.teardown(() => app.close())
  await app.listen({ path })

  const c = await connect(path, t)
  c.socket.write('{"jsonrpc":"2.0","id":1,"method":"slow"}\n{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]}\n{"jsonrpc":"2.0","id":3,"method":"echo","params":[3]}')
  c.socket.end()
  const signal = await started.promise
  const conn = await first.promise
  // the daemon has seen the end of input before the slow request finishes
  await waitFor(conn.stream as Socket, 'end', 'the daemon to read EOF')
  release.resolve()
  t.same([await c.lines.next(), await c.lines.next(), await c.lines.next()], [
    { jsonrpc: '2.0', id: 1, result: 'slow' },
    { jsonrpc: '2.0', id: 2, result: [2] },
    { jsonrpc: '2.0', id: 3, result: [3] }
  ], 'every reply, the last line counted even without its newline')
  t.same(await c.lines.end(), [], 'then the daemon ends the connection')
  t.equal(signal.aborted, false, 'a half-close is not a disconnect')
  await whenClosed(conn.stream as Socket)
  t.equal(app.activity.connections, 0)
})

t.test('a half-closed connection with nothing pending ends at once', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy()
  t.teardown(() => app.close())
  await app.listen({ path })
  const c = await connect(path, t)
  c.socket.end()
  t.same(await c.lines.end(), [])
})

t.test('a client that half-closes and reads slowly gets every reply: the lines still waiting behind a full write buffer are not dropped', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const reply = 'r'.repeat(200)
  const eof = deferred()
  app.method('big', async (req) => {
    await eof.promise
    return reply + String(req.id)
  })
  await app.ready()
  // each reply is more than the stream buffers: every write waits for the reader
  const sock = chunkStream({ highWaterMark: 100, slowReader: true })
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  for (let i = 0; i < 5; i++) sock.push(JSON.stringify(rpc(i, 'big')) + '\n')
  sock.push(null)
  await waitFor(sock.server, 'end', 'the daemon to read EOF')
  eof.resolve()
  t.same((await sock.lines.end()).map((m) => m.result), [0, 1, 2, 3, 4].map((i) => reply + String(i)), 'all five, then the end')
})
