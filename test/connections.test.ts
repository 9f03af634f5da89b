import { join } from 'node:path'
import t from 'tap'
import linefy from '../index.js'
import { captureLogger, deferred, tempDir } from './helpers/util.js'
import { connect, socketPair } from './helpers/wire.js'

t.test('a slow handler on one connection never delays another', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const app = linefy()
  const started = deferred()
  const release = deferred()
  app.method('slow', async () => { started.resolve(); await release.promise; return 'slow' })
  app.method('echo', async (req) => req.params)
  t.teardown(() => app.close())
  await app.listen({ path })

  const slow = await connect(path, t)
  slow.send({ jsonrpc: '2.0', id: 1, method: 'slow' })
  // queued behind the slow one on its own connection: replies keep request order
  slow.send({ jsonrpc: '2.0', id: 2, method: 'echo', params: ['after slow'] })
  await started.promise

  const others = await Promise.all([1, 2, 3].map(() => connect(path, t)))
  for (let round = 0; round < 20; round++) {
    const replies = await Promise.all(others.map((c, i) => c.call('echo', [round, i])))
    if (!replies.every((r, i) => r.result[0] === round && r.result[1] === i)) t.fail(`round ${round}: a wrong reply`)
  }
  t.pass('60 calls on three other connections answered while the slow one runs')
  t.equal(slow.lines.all.length, 0, 'the slow connection has nothing yet: its second request waits its turn')

  // a client that sends half a line and stops is no obstacle either
  const partial = await connect(path, t)
  partial.socket.write('{"jsonrpc":"2.0","id":9,"meth')
  t.same((await others[0].call('echo', ['still'])).result, ['still'])

  release.resolve()
  t.same([await slow.lines.next(), await slow.lines.next()], [
    { jsonrpc: '2.0', id: 1, result: 'slow' },
    { jsonrpc: '2.0', id: 2, result: ['after slow'] }
  ])
  partial.socket.end('od":"echo","params":["done"]}\n')
  t.same(await partial.lines.next(), { jsonrpc: '2.0', id: 9, result: ['done'] })
})

t.test('connections are numbered from 1 in the order they arrive, and each one\'s log lines carry its number', async (t) => {
  const { log, records } = captureLogger('info')
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.method('whoami', (req) => {
    req.connection.log.info('asked')
    return req.connection.id
  })
  await app.ready()
  const ids = []
  for (let i = 0; i < 3; i++) {
    const sock = socketPair()
    t.teardown(() => sock.server.destroy())
    ids.push(app.serve(sock.server).id)
    sock.send('{"jsonrpc":"2.0","id":1,"method":"whoami"}\n')
    t.equal((await sock.lines.next()).result, i + 1)
  }
  t.same(ids, [1, 2, 3])
  t.same(records.filter((r) => r.msg === 'asked').map((r) => r.conn), [1, 2, 3])
})
