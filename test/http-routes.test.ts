import t from 'tap'
import linefy from '../index.js'
import { addHttpRoute } from '../src/http/routes.js'
import { send, tcpTarget } from './helpers/http-kit.js'

t.test('a plugin serves a path of the HTTP listener with a route of its own, after the Host and Origin checks', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const seen: boolean[] = []
  app.register(async (app) => {
    addHttpRoute(app, '/own', (req, res, injected) => {
      seen.push(injected)
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method as string} ${req.url as string}`)
    })
  })
  await app.listen({ http: { port: 0 } })
  const to = tcpTarget(app.addresses()[0] as string)
  t.same(await send(to, undefined, { method: 'GET', path: '/own?x=1' }).then((r) => [r.status, r.body]), [200, 'GET /own?x=1'])
  const rebinding = await send(to, undefined, { method: 'GET', path: '/own', headers: { origin: 'http://evil.example' } })
  t.same([rebinding.status, rebinding.json().error.code], [403, 'LINEFY_ERR_HTTP_FORBIDDEN'])
  t.same(await app.injectHttp({ method: 'DELETE', url: '/own' }).then((r) => r.body), 'DELETE /own')
  t.same(seen, [false, true])
  t.same(await send(to, '{}', { path: '/' }).then((r) => r.status), 200, 'the JSON-RPC endpoint is unchanged')
})

t.test('routes are set up before ready(), one per path, each a URL path', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  addHttpRoute(app, '/a', () => {})
  t.throws(() => addHttpRoute(app, '/a', () => {}), { code: 'LINEFY_ERR_INVALID_OPTION', message: /already has an HTTP route/ })
  t.throws(() => addHttpRoute(app, 'a?b', () => {}), { code: 'LINEFY_ERR_INVALID_OPTION', message: /URL path/ })
  await app.ready()
  t.throws(() => addHttpRoute(app, '/b', () => {}), { code: 'LINEFY_ERR_INSTANCE_STARTED' })
})
