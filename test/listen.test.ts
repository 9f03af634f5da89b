import { PassThrough } from 'node:stream'
import { join } from 'node:path'
import t from 'tap'
import linefy from '../index.js'
import { deferred, tempDir } from './helpers/util.js'
import { Lines } from './helpers/wire.js'

t.test('listen({ stdio: true }) takes injected streams', async (t) => {
  const app = linefy()
  app.method('echo', async (req) => req.params)
  const input = new PassThrough()
  const output = new PassThrough()
  await app.listen({ stdio: true, input, output })
  const lines = new Lines(output)
  input.end('{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}\n')
  t.same(await lines.next(), { jsonrpc: '2.0', id: 1, result: [1] })
  t.same(await lines.end(), [])
  await app.close()
})

t.test('listen() while ready() runs waits for it, and refuses if close() began meanwhile', async (t) => {
  const app = linefy()
  const loading = deferred()
  app.register(async () => { await loading.promise })
  const booting = app.ready()
  const listening = app.listen({ path: join(tempDir(t), 'd.sock') })
  const closing = app.close()
  loading.resolve()
  await t.rejects(listening, { code: 'LINEFY_ERR_CLOSED' })
  await booting
  await closing
})

t.test('listen() takes one target', async (t) => {
  await t.rejects(linefy().listen({ fd: 3, stdio: true }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /one of path, fd, stdio, host\/port or http/ })
  await t.rejects(linefy().listen({}), { code: 'LINEFY_ERR_NO_LISTEN_TARGET' })
})
