import t from 'tap'
import linefy, { codes, defaultErrorMapper, Type, type Request } from '../index.js'
import { captureLogger, rpc } from './helpers/util.js'

t.test('setErrorMapper applies to methods of its plugin context and its children only', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('root', () => { throw new Error('root failure') })
  app.register(async (p) => {
    p.setErrorMapper((err) => ({ code: -32099, message: `mapped: ${(err as Error).message}` }))
    p.method('mine', () => { throw new Error('plugin failure') })
    p.register(async (child) => { child.method('child', () => { throw new Error('child failure') }) })
  })
  app.register(async (sibling) => { sibling.method('sibling', () => { throw new Error('sibling failure') }) })
  t.same((await app.inject(rpc(1, 'mine')))?.error, { code: -32099, message: 'mapped: plugin failure' })
  t.same((await app.inject(rpc(1, 'child')))?.error, { code: -32099, message: 'mapped: child failure' })
  t.same((await app.inject(rpc(1, 'root')))?.error, { code: -32001, message: 'root failure' })
  t.same((await app.inject(rpc(1, 'sibling')))?.error, { code: -32001, message: 'sibling failure' })
})

t.test('the mapper sees the request and may fall back to the default mapping', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.setErrorMapper((err, req) => ({ ...defaultErrorMapper(err), data: { method: (req as Request).method } }))
  app.method('m', () => { throw new Error('x') })
  t.same((await app.inject(rpc(1, 'm')))?.error, { code: -32001, message: 'x', data: { method: 'm' } })
})

t.test('a thrown error with a numeric code and data keeps them on the wire', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('withData', () => { throw Object.assign(new Error('quota'), { code: -32050, data: { retryAfter: 3 } }) })
  app.method('codeOnly', async () => { throw Object.assign(new Error('gone'), { code: 410 }) })
  app.method('stringCode', () => { throw Object.assign(new Error('no such file'), { code: 'ENOENT' }) })
  app.method('fractionalCode', () => { throw Object.assign(new Error('odd'), { code: 1.5 }) })
  t.same((await app.inject(rpc(1, 'withData')))?.error, { code: -32050, message: 'quota', data: { retryAfter: 3 } })
  t.same((await app.inject(rpc(1, 'codeOnly')))?.error, { code: 410, message: 'gone' })
  t.same((await app.inject(rpc(1, 'stringCode')))?.error, { code: -32001, message: 'no such file' }, 'a Node error code is not a JSON-RPC code')
  t.same((await app.inject(rpc(1, 'fractionalCode')))?.error, { code: -32001, message: 'odd' })
})

t.test("linefy's own errors keep their code, and their data when set", async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('cancelled', () => {
    const err = new codes.LINEFY_ERR_CANCELLED()
    err.data = { by: 'user' }
    throw err
  })
  app.method('overloaded', () => { throw new codes.LINEFY_ERR_OVERLOADED(3) })
  t.same((await app.inject(rpc(1, 'cancelled')))?.error, { code: -32800, message: 'request cancelled', data: { by: 'user' } })
  t.same((await app.inject(rpc(1, 'overloaded')))?.error, { code: -32004, message: 'server overloaded: 3 requests already queued, retry later' })
})

t.test('a rejection with a non-Error value answers -32001 describing it', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('string', () => Promise.reject('just a string'))
  app.method('nothing', () => Promise.reject(undefined))
  app.method('object', () => { throw { message: 'plain object' } }) // eslint-disable-line no-throw-literal
  app.method('bare', () => { throw { reason: 1 } }) // eslint-disable-line no-throw-literal
  t.same((await app.inject(rpc(1, 'string')))?.error, { code: -32001, message: 'handler failed with a non-error value: just a string' })
  t.same((await app.inject(rpc(1, 'nothing')))?.error, { code: -32001, message: 'handler failed with a non-error value: undefined' })
  t.same((await app.inject(rpc(1, 'object')))?.error, { code: -32001, message: 'plain object' })
  t.same((await app.inject(rpc(1, 'bare')))?.error, { code: -32001, message: '[object Object]' })
})

t.test('a mapper that throws falls back to the default mapping, for controls too, and is logged', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.setErrorMapper(() => { throw new Error('mapper bug') })
  app.method('m', () => { throw new Error('real failure') })
  app.control('fails', () => { throw new Error('control failed') })
  t.same((await app.inject(rpc(1, 'm')))?.error, { code: -32001, message: 'real failure' })
  t.same(await app.inject({ type: 'fails' }), { ok: false, reason: 'control_error', error: 'control failed' })
  t.equal(records.filter((r) => r.msg === 'error mapper failed; using the default mapping' && r.err?.message === 'mapper bug').length, 2)
})

t.test('data that cannot be serialized is dropped; code and message stay', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('m', () => { throw Object.assign(new Error('with bigint'), { code: -32051, data: { n: 1n } }) })
  t.same((await app.inject(rpc(1, 'm')))?.error, { code: -32051, message: 'with bigint' })
})

t.test('the stack never goes on the wire but is in the log with the request bindings', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.method('m', function failingHandler () { throw new Error('secret path /etc/x') })
  const reply = await app.inject(rpc(7, 'm'))
  t.same(reply, { jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'secret path /etc/x' } })
  const rec = records.find((r) => r.msg === 'request failed')
  t.match(rec, { level: 50, code: -32001, reqId: 7, method: 'm', conn: Number, err: { message: 'secret path /etc/x', stack: /failingHandler/ } })
})

t.test("a linefy error is logged at its own level, an application error with a code at info", async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.method('coded', () => { throw Object.assign(new Error('not found'), { code: -32044 }) })
  await app.inject(rpc(1, 'nope'))
  await app.inject(rpc(2, 'coded'))
  app.log.level = 'info'
  await app.inject(rpc(3, 'nope'))
  const failed = records.filter((r) => r.msg === 'request failed')
  t.same(failed.map((r) => [r.level, r.code]), [[30, -32044]], 'unknown methods are not logged as request failures; the coded error at info')
})

t.test('a -32602 is logged at debug, so it is silent at the info level', async (t) => {
  const { log, records } = captureLogger('debug')
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.method('typed', { schema: { params: Type.Object({ a: Type.String() }) } }, () => 1)
  await app.inject(rpc(1, 'typed', {}))
  app.log.level = 'info'
  await app.inject(rpc(2, 'typed', {}))
  const failed = records.filter((r) => r.msg === 'request failed')
  t.same(failed.map((r) => [r.level, r.reqId, r.code]), [[20, 1, -32602]])
})
