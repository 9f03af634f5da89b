import t from 'tap'
import linefy, { defaultErrorMapper, errorMapper, seedErrorMapper, Type, type ErrorMapper } from '../index.js'
import { injectLines, rpc } from './helpers/util.js'

// a second mapper a daemon author would want: nothing internal leaks to clients
const redacting: ErrorMapper = (err) => {
  const wire = defaultErrorMapper(err)
  return wire.code === -32001 ? { code: -32001, message: 'internal error (see the daemon log)' } : wire
}

t.test('a redacting mapper swapped in with the errorMapper plugin shapes method and control failures alike', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(errorMapper, { mapper: redacting })
  app.method('leaks', () => { throw new Error('password=hunter2') })
  app.method('bad', { schema: { params: Type.Object({ x: Type.Number() }) } }, () => 1)
  app.control('leaks', () => { throw new Error('password=hunter2') })
  const [method, params, control] = await injectLines(app, [rpc(1, 'leaks'), rpc(2, 'bad', {}), { type: 'leaks' }])
  t.same(method, { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'internal error (see the daemon log)' } })
  t.match(params, { id: 2, error: { code: -32602 } }, "linefy's own codes pass through")
  t.same(control, { ok: false, reason: 'control_error', error: 'internal error (see the daemon log)' })
})

t.test('a control handler failure is mapped by the mapper of the plugin that added it', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(async (p) => {
    p.setErrorMapper((err) => ({ code: 1, message: `inner: ${(err as Error).message}` }))
    p.control('inner', () => { throw new Error('x') })
  })
  app.control('outer', async () => { throw new Error('y') })
  t.same(await injectLines(app, [{ type: 'inner' }, { type: 'outer' }]), [
    { ok: false, reason: 'control_error', error: 'inner: x' },
    { ok: false, reason: 'control_error', error: 'y' }
  ])
})

t.test('setErrorMapper is refused once the app is ready: the mappers are bound then', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('fails', () => { throw new Error('boom') })
  await app.ready()
  t.throws(() => app.setErrorMapper(redacting), { code: 'LINEFY_ERR_INSTANCE_STARTED', message: /set an error mapper after ready/ })
  t.match(await app.inject(rpc(1, 'fails')), { error: { message: 'boom' } }, 'the mapper in force at ready() stays')
})

t.test('seed mode maps -32603 to -32001 after any mapper, and leaves every other code alone', async (t) => {
  const app = linefy({ compat: 'seed' })
  t.teardown(() => app.close())
  app.setErrorMapper((err) => ({ code: Number((err as Error).message), message: 'm' }))
  app.method('fails', (req) => { throw new Error(String((req.params as number[])[0])) })
  const codes = []
  for (const code of [-32603, -32001, -32099, -32602, 7]) codes.push((await app.inject(rpc(1, 'fails', [code])))?.error?.code)
  t.same(codes, [-32001, -32001, -32099, -32602, 7])
  t.same(seedErrorMapper(() => ({ code: -32603, message: 'x', data: 1 }))(new Error(), null), { code: -32001, message: 'x', data: 1 }, 'data is kept')
})
