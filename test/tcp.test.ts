import type { AddressInfo, Server, Socket } from 'node:net'
import t from 'tap'
import linefy, { tcp, type LinefyInstance } from '../index.js'
import { captureLogger } from './helpers/util.js'
import { connect } from './helpers/wire.js'

function app (t: { teardown: (fn: () => unknown) => void }): LinefyInstance {
  const a = linefy()
  a.method('echo', async (req) => req.params)
  t.teardown(() => a.close())
  return a
}

t.test('listen({ port: 0 }) serves on 127.0.0.1 and reports the port', async (t) => {
  const a = app(t)
  await a.listen({ port: 0 })
  const [address] = a.addresses() as AddressInfo[]
  t.match(address, { address: '127.0.0.1', family: 'IPv4', port: Number })
  const c = await connect({ host: '127.0.0.1', port: address.port }, t)
  t.same(await c.call('echo', { over: 'tcp' }, 7), { jsonrpc: '2.0', id: 7, result: { over: 'tcp' } })
  await a.close()
  t.same(a.addresses(), [])
})

t.test('the plugin form, with a host', async (t) => {
  const a = app(t)
  a.register(tcp, { host: '127.0.0.1' })
  await a.ready()
  const { port } = a.addresses()[0] as AddressInfo
  const c = await connect({ host: '127.0.0.1', port }, t)
  t.same((await c.call('echo', [1])).result, [1])
})

t.test('a port in use is LINEFY_ERR_ADDR_IN_USE', async (t) => {
  const first = app(t)
  await first.listen({ port: 0 })
  const { port } = first.addresses()[0] as AddressInfo
  await t.rejects(app(t).listen({ port }), { code: 'LINEFY_ERR_ADDR_IN_USE', message: new RegExp(`127.0.0.1:${port}`) })
})

t.test('a host that is not ours is LINEFY_ERR_LISTEN', async (t) => {
  // TEST-NET-1 (RFC 5737): never a local address
  await t.rejects(app(t).listen({ host: '192.0.2.1', port: 0 }), { code: 'LINEFY_ERR_LISTEN', message: /192\.0\.2\.1/ })
})

t.test('a bad port is an option error', async (t) => {
  await t.rejects(linefy().register(tcp, { port: 70000 }).ready(), { code: 'LINEFY_ERR_INVALID_OPTION' })
  await t.rejects(linefy().register(tcp, { port: 1.5 }).ready(), { code: 'LINEFY_ERR_INVALID_OPTION' })
})

t.test('accept failures (EMFILE and the like) are logged once per burst, and the daemon goes on', async (t) => {
  const { log, records } = captureLogger('info')
  const a = linefy({ logger: log })
  a.method('echo', async (req) => req.params)
  t.teardown(() => a.close())
  let server: Server | null = null
  a.addHook('onConnection', async (conn) => { server = ((conn as unknown as { stream: Socket & { server: Server } }).stream).server })
  await a.listen({ port: 0 })
  const { port } = a.addresses()[0] as AddressInfo
  const c = await connect({ host: '127.0.0.1', port }, t)
  t.same((await c.call('echo', [1])).result, [1])
  // what libuv reports when it cannot even shed connections (its spare descriptor is gone)
  for (let i = 0; i < 100; i++) (server as unknown as Server).emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }))
  t.match(records, [{ level: 50, msg: 'refusing connections', err: { code: 'LINEFY_ERR_ACCEPT', message: /accept EMFILE.*ulimit -n/ } }], '100 failures, one line')
  t.same((await c.call('echo', [2])).result, [2], 'a client it has is still served')
  const next = await connect({ host: '127.0.0.1', port }, t)
  t.same((await next.call('echo', [3])).result, [3])
  t.match(records.slice(1), [{ level: 30, msg: 'accepting connections again', refused: 100 }])
  // a connection refused for the connection cap is the same condition, in a burst of its own
  ;(server as unknown as Server).emit('drop')
  ;(server as unknown as Server).emit('drop')
  t.match(records.slice(2), [{ level: 50, msg: 'refusing connections', err: { code: 'LINEFY_ERR_ACCEPT', message: /connections open, all that a limit of \d+ open files leaves room for/ } }])
})
