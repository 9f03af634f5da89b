// SIGTERM to a real daemon: it drains and exits (app.close() in process: close.test.ts)
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from './helpers/util.js'
import { runFixture, startCli } from './helpers/process.js'
import { connect, connectError } from './helpers/wire.js'

t.test('SIGTERM to a real daemon: refuses new clients, drains, exits 0, removes its socket', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const child = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path })])
  await child.stderr.find((m) => m.ready === true)
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 'a', method: 'sleep', params: { ms: 200 } })
  await child.stderr.find((m) => m.started === 'a')
  child.proc.kill('SIGTERM')
  await child.stderr.find((m) => m.closing === true)
  t.equal((await connectError(path))?.code, 'ECONNREFUSED', 'a new connect is refused while draining')
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 'a', result: { slept: 200 } })
  t.same(await c.lines.end(), [])
  t.same(await child.exit(), { code: 0, signal: null })
  t.ok(await child.stderr.find((m) => m.onClose === true), 'onClose ran')
  t.notOk(existsSync(path))
})

t.test('SIGTERM to the reference daemon with 10 calls pipelined on one connection: all 10 answered with results', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const daemon = startCli(t, ['daemon', '--demo', '--socket', path])
  await daemon.stderr.match(/"msg":"listening"/)
  const c = await connect(path, t)
  // one write: the daemon reads all ten lines in the chunk that carries the first
  c.socket.write(Array.from({ length: 10 }, (_, i) => JSON.stringify(i === 0
    ? { jsonrpc: '2.0', id: 0, method: 'echo', params: ['first'] }
    : { jsonrpc: '2.0', id: i, method: 'sleep', params: { ms: 30 } }) + '\n').join(''))
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 0, result: ['first'] })
  daemon.proc.kill('SIGTERM')
  const rest = []
  for (let i = 1; i < 10; i++) rest.push(await c.lines.next())
  t.same(rest, Array.from({ length: 9 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, result: { slept: 30 } })))
  t.same(await c.lines.end(), [], 'then the connection ends')
  t.same(await daemon.exited, { code: 0, signal: null })
  t.notOk(existsSync(path))
})

t.test('SIGTERM past the grace period: the stuck request is aborted and answered -32005', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const child = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path }), JSON.stringify({ closeGraceMs: 100 })])
  await child.stderr.find((m) => m.ready === true)
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 'h', method: 'hang' })
  await child.stderr.find((m) => m.started === 'h')
  child.proc.kill('SIGTERM')
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 'h', error: { code: -32005, message: 'server shutting down' } })
  t.same(await child.stderr.find((m) => m.aborted === 'h'), { aborted: 'h', reason: 'LINEFY_ERR_SHUTTING_DOWN' })
  t.same(await child.exit(), { code: 0, signal: null })
  t.notOk(existsSync(path))
})
