import t from 'tap'
import linefy, { RawJson, Type, type Request } from '../index.js'
import { captureLogger, rpc } from './helpers/util.js'

const Stats = Type.Object({ count: Type.Integer(), tags: Type.Array(Type.String()) })

t.test('without validateResults a result schema is not checked: a wrong result goes out as returned', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('stats', { schema: { result: Stats } }, () => ({ count: 'many' }) as never)
  t.same(await app.inject(rpc(1, 'stats')), { jsonrpc: '2.0', id: 1, result: { count: 'many' } })
})

t.test('with validateResults a result that matches its schema is answered as usual', async (t) => {
  const app = linefy({ validateResults: true })
  t.teardown(() => app.close())
  app.method('stats', { schema: { result: Stats } }, async () => ({ count: 2, tags: ['a', 'b'] }))
  app.method('free', () => 'no result schema')
  t.same(await app.inject(rpc(1, 'stats')), { jsonrpc: '2.0', id: 1, result: { count: 2, tags: ['a', 'b'] } })
  t.same((await app.inject(rpc(2, 'free')))?.result, 'no result schema')
})

t.test('with validateResults a wrong result answers -32603 naming the failing path, and is logged', async (t) => {
  const { log, records } = captureLogger('error')
  const app = linefy({ validateResults: true, logger: log })
  t.teardown(() => app.close())
  app.method('stats', { schema: { result: Stats } }, (req: Request) => req.params as never)
  const nested = await app.inject(rpc(1, 'stats', { count: 1, tags: ['a', 7] }))
  t.same(nested, {
    jsonrpc: '2.0',
    id: 1,
    error: { code: -32603, message: "result of method 'stats' does not match its result schema at /tags/1: Expected string (validateResults is on: fix the handler or the schema)" }
  })
  const missing = await app.inject(rpc(2, 'stats', { tags: [] }))
  t.match(missing?.error, { code: -32603, message: /at \/count: Expected required property/ })
  const root = await app.inject(rpc(3, 'stats', []))
  t.match(root?.error, { code: -32603, message: /at \/: Expected object/ })
  t.match(records.filter((r) => r.msg === 'request failed'), [{ err: { code: 'LINEFY_ERR_INVALID_RESULT' }, code: -32603 }])
})

t.test('with validateResults the result checked is the one onSend hooks leave', async (t) => {
  const app = linefy({ validateResults: true })
  t.teardown(() => app.close())
  app.addHook('onSend', async (_req, result) => (result as { inner: unknown }).inner)
  app.method('wrapped', { schema: { result: Type.Number() } }, () => ({ inner: 'not a number' }) as never)
  app.method('unwrapped', { schema: { result: Type.Number() } }, () => ({ inner: 3 }) as never)
  t.match((await app.inject(rpc(1, 'wrapped')))?.error, { code: -32603, message: /at \/: Expected number/ })
  t.same((await app.inject(rpc(2, 'unwrapped')))?.result, 3)
})

t.test('in seed compat a wrong result answers -32001, as every internal error does there', async (t) => {
  const app = linefy({ validateResults: true, compat: 'seed' })
  t.teardown(() => app.close())
  app.method('n', { schema: { result: Type.Number() } }, () => 'x' as never)
  t.match((await app.inject(rpc(1, 'n')))?.error, { code: -32001, message: /result of method 'n' does not match/ })
})

t.test('validateResults must be a boolean', async (t) => {
  t.throws(() => linefy({ validateResults: 'yes' as never }), {
    code: 'LINEFY_ERR_INVALID_OPTION',
    message: 'option validateResults must be true or false, got yes'
  })
})

t.test('summary, description and examples are kept with the method for discovery', async (t) => {
  const app = linefy()
  const schema = { params: Type.Object({ a: Type.Number() }), result: Type.Number() }
  const examples = [{ name: 'double', params: { a: 2 }, result: 4 }]
  app.method('double', { schema, summary: 'Doubles a.', description: 'Returns 2a.', examples, timeout: 50 }, (req) => req.params.a * 2)
  app.method('plain', () => null)
  t.same(app.methods(), [
    { name: 'double', schema, timeout: 50, summary: 'Doubles a.', description: 'Returns 2a.', examples },
    { name: 'plain', schema: undefined, timeout: undefined, summary: undefined, description: undefined, examples: undefined }
  ])
})

t.test('summary, description and examples of the wrong shape are refused when the method is added', async (t) => {
  const app = linefy()
  const cases: Array<[object, RegExp]> = [
    [{ summary: 3 }, /^option summary of method 'm' must be a string, got number$/],
    [{ description: {} }, /^option description of method 'm' must be a string, got object$/],
    [{ examples: {} }, /^option examples of method 'm' must be an array of \{ name, params, result \} with a non-empty name$/],
    [{ examples: [{ params: [], result: 1 }] }, /option examples/],
    [{ examples: [null] }, /option examples/],
    [{ examples: [{ name: '', result: 1 }] }, /option examples/]
  ]
  for (const [opts, message] of cases) {
    t.throws(() => app.method('m', opts as never, () => null), { code: 'LINEFY_ERR_INVALID_OPTION', message }, JSON.stringify(opts))
  }
  t.same(app.methods(), [], 'nothing was added')
})

t.test('a RawJson result is answered with the JSON it was made with, serialised once', async (t) => {
  const app = linefy({ validateResults: true })
  t.teardown(() => app.close())
  let serialised = 0
  const doc = new RawJson({ toJSON () { serialised++; return { big: ['document'] } } })
  app.method('doc', { schema: { result: Type.Number() } }, () => doc as never)
  app.method('nothing', () => new RawJson(undefined))
  const [a, b, c] = await app.inject(['{"jsonrpc":"2.0","id":1,"method":"doc"}', '{"jsonrpc":"2.0","id":"x","method":"doc"}', '{"jsonrpc":"2.0","id":2,"method":"nothing"}'])
  t.same([a, b, c], [
    { jsonrpc: '2.0', id: 1, result: { big: ['document'] } },
    { jsonrpc: '2.0', id: 'x', result: { big: ['document'] } },
    { jsonrpc: '2.0', id: 2, result: null }
  ], 'not checked against the result schema: it is already JSON')
  t.equal(serialised, 1)
})
