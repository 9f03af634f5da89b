import t from 'tap'
import linefy, { JsonRpcRouter, plugin, router as routerPlugin, type Router } from '../index.js'
import { maker, pipelineSuite } from './helpers/pipeline-suite.js'
import { ForwardingRouter, WildcardRouter } from './helpers/routers.js'
import { rpc, tempSocket } from './helpers/util.js'
import { serveOn } from './helpers/wire.js'

t.test('the default router passes the pipeline suite', async (t) => {
  pipelineSuite(t, maker(t))
})

t.test('a wildcard router swapped in with linefy({ router }) passes the pipeline suite', async (t) => {
  pipelineSuite(t, maker(t, (app) => app.setRouter(new WildcardRouter())))
})

t.test('a forwarding router swapped in from a plugin passes the pipeline suite', async (t) => {
  // what it forwards reaches a daemon with no methods, whose refusal it relays
  const path = tempSocket(t)
  await serveOn(t, linefy(), path)
  const routers: ForwardingRouter[] = []
  t.teardown(() => Promise.all(routers.map((r) => r.close())))
  pipelineSuite(t, maker(t, (app) => {
    const router = new ForwardingRouter(path)
    routers.push(router)
    app.register(routerPlugin, { router })
  }))
})

t.test('a wildcard router serves every name under its prefix with the name called as req.method', async (t) => {
  const app = linefy({ router: new WildcardRouter() })
  t.teardown(() => app.close())
  app.method('fs.*', (req) => `any:${req.method}`)
  app.method('fs.stat', (req) => `exact:${req.method}`)
  t.same((await app.inject(rpc(1, 'fs.read')))?.result, 'any:fs.read')
  t.same((await app.inject(rpc(2, 'fs.stat')))?.result, 'exact:fs.stat', 'an exact name wins over the pattern')
  t.match(await app.inject(rpc(3, 'net.read')), { error: { code: -32601, message: "unknown method 'net.read'" } })
})

t.test('a forwarding router answers unknown methods from another daemon, and -32002 when it is gone', async (t) => {
  const path = tempSocket(t)
  const upstream = linefy()
  upstream.method('remote.add', (req) => (req.params as number[])[0] + (req.params as number[])[1])
  await serveOn(t, upstream, path)
  const forwarding = new ForwardingRouter(path)
  const app = linefy({ router: forwarding })
  t.teardown(async () => { await forwarding.close(); await app.close() })
  app.method('local', () => 'here')
  t.same((await app.inject(rpc(1, 'remote.add', [2, 3])))?.result, 5)
  t.same((await app.inject(rpc(2, 'local')))?.result, 'here')
  t.match(await app.inject(rpc(3, 'remote.nope')), { id: 3, error: { code: -32601, message: "unknown method 'remote.nope'" } }, "the other daemon's error, relayed")
  await forwarding.close()
  await upstream.close()
  t.match(await app.inject(rpc(4, 'remote.add', [1, 1])), { id: 4, error: { code: -32002 } })
})

t.test('methods and controls registered before a swap move to the new router, in order', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('before', () => 'kept')
  app.control('ping', () => ({ ok: true }))
  const next = new WildcardRouter()
  app.register(plugin(async (p) => { p.setRouter(next) }))
  app.register(async (p) => { p.method('after.*', () => 'new') })
  await app.ready()
  t.same([...next.methods()].map((m) => m.name), ['before', 'after.*'])
  t.same((await app.inject(rpc(1, 'before')))?.result, 'kept')
  t.same(await app.inject({ type: 'ping' }), { ok: true })
  t.same((await app.inject(rpc(2, 'after.x')))?.result, 'new')
  t.same(app.methods().map((m) => m.name), ['before', 'after.*'])
})

t.test('setRouter is refused once the app is ready, and for an object that is no router', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  t.throws(() => app.setRouter({ dispatch () {} } as unknown as Router), { code: 'LINEFY_ERR_INVALID_ROUTER', message: /addMethod\(\)/ })
  t.throws(() => app.setRouter(null as unknown as Router), { code: 'LINEFY_ERR_INVALID_ROUTER' })
  await app.ready()
  t.throws(() => app.setRouter(new JsonRpcRouter()), { code: 'LINEFY_ERR_INSTANCE_STARTED', message: /set a router after ready/ })
})

t.test('a router binds once at ready(): a message never looks the router up again', async (t) => {
  let readied = 0
  class Counting extends JsonRpcRouter {
    override ready (core: Parameters<JsonRpcRouter['ready']>[0]): void {
      readied++
      super.ready(core)
    }
  }
  const app = linefy({ router: new Counting() })
  t.teardown(() => app.close())
  app.method('echo', (req) => req.params)
  for (let i = 0; i < 3; i++) t.same((await app.inject(rpc(i, 'echo', [i])))?.result, [i])
  t.equal(readied, 1)
})

t.test('the router plugin swaps the router in: a wildcard router registered with it serves its patterns', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(routerPlugin, { router: new WildcardRouter() })
  app.method('fs.*', (req) => `any:${req.method}`)
  t.same((await app.inject(rpc(1, 'fs.read')))?.result, 'any:fs.read')
})
