import t, { type Test } from 'tap'
import linefy from '../index.js'
import demo from '../plugins/demo.js'

async function build (t: Test, opts = {}) {
  const app = linefy({ compat: 'seed', ...opts })
  app.register(demo)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

const call = (id: number, method: string, params?: unknown) =>
  params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }

t.test('echo returns its params, object or array, and {} without any (seed mode)', async (t) => {
  const app = await build(t)
  const [a, b, c] = await app.inject([call(1, 'echo', { x: [1, 'two', null] }), call(2, 'echo', []), call(3, 'echo')])
  t.same(a, { jsonrpc: '2.0', id: 1, result: { x: [1, 'two', null] } })
  t.same(b, { jsonrpc: '2.0', id: 2, result: [] }, 'an empty array stays an array')
  t.same(c, { jsonrpc: '2.0', id: 3, result: {} })
})

t.test('in spec mode the demo methods take a missing params too', async (t) => {
  const app = await build(t, { compat: 'spec' })
  t.same(await app.inject(call(1, 'echo')), { jsonrpc: '2.0', id: 1, result: null })
  t.same(await app.inject(call(2, 'fail')), { jsonrpc: '2.0', id: 2, error: { code: -32001, message: 'demo failure' } })
  t.match(await app.inject(call(3, 'sleep')), { id: 3, error: { code: -32602, message: 'invalid params at /: Expected object' } })
})

t.test('add sums two numbers', async (t) => {
  const app = await build(t)
  t.same(await app.inject(call(1, 'add', { a: 2, b: 0.5 })), { jsonrpc: '2.0', id: 1, result: 2.5 })
  t.match(await app.inject(call(2, 'add', { a: 1 })), { id: 2, error: { code: -32602, message: /invalid params at \/b/ } })
  t.match(await app.inject(call(3, 'add', { a: '1', b: 2 })), { id: 3, error: { code: -32602, message: /\/a/ } })
})

t.test('add refuses a sum JSON cannot carry rather than sending null', async (t) => {
  const app = await build(t)
  t.same(await app.inject(call(1, 'add', { a: 1e308, b: 1e308 })), {
    jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'a + b is too large for a JSON number: use smaller operands' }
  })
})

t.test('sleep waits, then says how long', async (t) => {
  const app = await build(t)
  const started = Date.now()
  t.same(await app.inject(call(1, 'sleep', { ms: 30 })), { jsonrpc: '2.0', id: 1, result: { slept: 30 } })
  t.ok(Date.now() - started >= 29, 'took at least the time asked for')
  t.same(await app.inject(call(2, 'sleep', { ms: 0 })), { jsonrpc: '2.0', id: 2, result: { slept: 0 } })
})

t.test('sleep validates ms: an integer from 0 to 60000', async (t) => {
  const app = await build(t)
  for (const params of [{ ms: -1 }, { ms: 60_001 }, { ms: 1.5 }, { ms: '5' }, {}, [5]]) {
    const reply = await app.inject(call(1, 'sleep', params))
    t.equal(reply?.error?.code, -32602, JSON.stringify(params))
  }
  t.match(await app.inject(call(2, 'sleep')), { id: 2, error: { code: -32602, message: 'invalid params at /ms: Expected required property' } }, 'no params is {}: ms is missing')
})

t.test('sleep stops early when the request is cancelled', async (t) => {
  const app = await build(t)
  const started = Date.now()
  const replies = await app.inject([
    call(7, 'sleep', { ms: 60_000 }),
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7 } }
  ])
  t.same(replies[0], { jsonrpc: '2.0', id: 7, error: { code: -32800, message: 'request cancelled' } })
  t.ok(Date.now() - started < 5000, 'did not wait the full minute')
})

t.test('sleep frees its concurrency slot when cancelled', async (t) => {
  const app = await build(t, { concurrency: 1 })
  const replies = await app.inject([
    call(1, 'sleep', { ms: 60_000 }),
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
    call(2, 'add', { a: 1, b: 1 })
  ])
  t.equal(replies[0]?.error?.code, -32800)
  t.same(replies[2], { jsonrpc: '2.0', id: 2, result: 2 })
  t.equal(app.activity.inFlight, 0)
})

t.test('fail throws: -32001 with the message given, or a default one', async (t) => {
  const app = await build(t)
  t.same(await app.inject(call(1, 'fail', { message: 'boom' })), { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'boom' } })
  t.same(await app.inject(call(2, 'fail', {})), { jsonrpc: '2.0', id: 2, error: { code: -32001, message: 'demo failure' } })
  t.same(await app.inject(call(3, 'fail')), { jsonrpc: '2.0', id: 3, error: { code: -32001, message: 'demo failure' } })
  t.equal((await app.inject(call(4, 'fail', { message: 5 })))?.error?.code, -32602)
})
