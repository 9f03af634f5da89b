import t from 'tap'
import linefy from '../index.js'

t.test('answers an injected call', async (t) => {
  const app = linefy()
  app.method('echo', async (req) => req.params)
  t.same(await app.inject({ jsonrpc: '2.0', id: 1, method: 'echo', params: { a: 1 } }), { jsonrpc: '2.0', id: 1, result: { a: 1 } })
  await app.close()
})
