import t from 'tap'
import linefy, { plugin, type ApplicationHook, type LinefyInstance, type Request } from '../index.js'
import { captureLogger, rpc } from './helpers/util.js'

type Decorated = LinefyInstance & Record<string, unknown>

/** Application hooks also take a done callback; ApplicationHook does not declare that form yet. */
const callbackHook = (fn: (app: LinefyInstance, done: (err?: Error) => void) => void) => fn as unknown as ApplicationHook

function tracer (tag: string) {
  return (req: Request) => { (req.params as { trace: string[] }).trace.push(tag) }
}

const traced = (req: Request) => (req.params as { trace: string[] }).trace

t.test('hooks added inside a plugin apply to it and its children only', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('onRequest', tracer('root'))
  app.method('top', traced)
  app.register(async (a) => {
    a.addHook('onRequest', tracer('a'))
    a.method('a', traced)
    a.register(async (child) => {
      child.addHook('onRequest', tracer('child'))
      child.method('child', traced)
    })
  })
  app.register(async (b) => {
    b.method('b', traced)
  })
  const call = async (m: string) => (await app.inject(rpc(1, m, { trace: [] })))?.result
  t.same(await call('top'), ['root'])
  t.same(await call('a'), ['root', 'a'])
  t.same(await call('child'), ['root', 'a', 'child'])
  t.same(await call('b'), ['root'], 'a sibling never sees the hooks of another plugin')
})

t.test('a hook added after a child plugin registered still reaches only methods of its own context', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(async (a) => {
    a.method('early', traced)
    a.addHook('preHandler', tracer('late'))
  })
  app.method('root', traced)
  t.same((await app.inject(rpc(1, 'early', { trace: [] })))?.result, ['late'], 'hook arrays are bound at ready(), not at method()')
  t.same((await app.inject(rpc(1, 'root', { trace: [] })))?.result, [])
})

t.test('decorators added inside a plugin are visible to it and its children, not to its parent or siblings', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const seen: Record<string, boolean> = {}
  app.decorate('rootThing', 1)
  app.register(async (a) => {
    a.decorate('aThing', 2)
    seen.aSeesRoot = a.hasDecorator('rootThing')
    seen.aSeesOwn = a.hasDecorator('aThing')
    a.register(async (child) => {
      seen.childSeesA = child.hasDecorator('aThing')
      seen.childValue = (child as Decorated).aThing === 2
    })
  })
  app.register(async (b) => {
    seen.siblingSeesA = b.hasDecorator('aThing')
  })
  await app.ready()
  t.same(seen, { aSeesRoot: true, aSeesOwn: true, childSeesA: true, childValue: true, siblingSeesA: false })
  t.notOk(app.hasDecorator('aThing'))
  t.equal((app as Decorated).rootThing, 1)
})

t.test('a plugin wrapped with plugin() shares its context with its parent', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(plugin(async (shared) => {
    shared.decorate('util', 'shared')
    shared.addHook('onRequest', tracer('shared'))
  }))
  app.method('root', traced)
  await app.ready()
  t.equal((app as Decorated).util, 'shared')
  t.same((await app.inject(rpc(1, 'root', { trace: [] })))?.result, ['shared'])
})

t.test('a plugin() inside an encapsulated plugin affects that plugin only', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let enclosingSawIt = false
  app.register(async (a) => {
    await a.register(plugin(async (shared) => { shared.decorate('inner', true) }))
    enclosingSawIt = a.hasDecorator('inner')
  })
  await app.ready()
  t.ok(enclosingSawIt, 'the enclosing plugin got the decorator')
  t.notOk(app.hasDecorator('inner'))
})

t.test('prefix is prepended to method names, nested prefixes concatenate', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(async (mem) => {
    mem.method('recall', () => 'recalled')
    mem.register(async (deep) => { deep.method('ping', () => 'pong') }, { prefix: 'deep.' })
  }, { prefix: 'memory.' })
  t.equal((await app.inject(rpc(1, 'memory.recall')))?.result, 'recalled')
  t.equal((await app.inject(rpc(1, 'memory.deep.ping')))?.result, 'pong')
  t.equal((await app.inject(rpc(1, 'recall')))?.error?.code, -32601, 'the bare name is not routed')
})

t.test('plugin options reach the plugin', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let got: unknown
  app.register(async (_a, opts: { answer: number }) => { got = opts.answer }, { answer: 42 })
  await app.ready()
  t.equal(got, 42)
})

t.test('register accepts an ES module namespace with a default export', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register({ default: async (a: LinefyInstance) => { a.method('esm', () => 'loaded') } })
  t.equal((await app.inject(rpc(1, 'esm')))?.result, 'loaded')
})

t.test('awaiting register() loads the plugin at once', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  await app.register(plugin(async (a) => { a.decorate('loaded', true) }))
  t.ok(app.hasDecorator('loaded'))
})

t.test('decorate refuses a name already present', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.decorate('store', new Map())
  t.throws(() => app.decorate('store', 1), { code: 'LINEFY_ERR_DEC_ALREADY_PRESENT', message: /store/ })
  t.throws(() => app.decorate('method', 1), { code: 'LINEFY_ERR_DEC_ALREADY_PRESENT' }, 'built-in API names are taken')
  let inner: unknown
  app.register(async (a) => {
    try { a.decorate('store', 2) } catch (err) { inner = err }
  })
  await app.ready()
  t.match(inner, { code: 'LINEFY_ERR_DEC_ALREADY_PRESENT' }, 'a child cannot shadow a parent decorator')
})

t.test('decorate works with symbols', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const k = Symbol('k')
  t.notOk(app.hasDecorator(k))
  app.decorate(k, 'v')
  t.ok(app.hasDecorator(k))
})

t.test('set-up mistakes throw a coded error saying what to do', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('dup', () => 1)
  app.control('status', () => ({}))
  t.throws(() => app.method('dup', () => 2), { code: 'LINEFY_ERR_METHOD_DUPLICATE', message: /'dup'/ })
  t.throws(() => app.control('status', () => ({})), { code: 'LINEFY_ERR_CONTROL_DUPLICATE' })
  t.throws(() => app.addHook('onWhatever' as 'onRequest', () => {}), { code: 'LINEFY_ERR_HOOK_INVALID_TYPE', message: /onRequest/ })
  t.throws(() => app.addHook('onRequest', 'nope' as never), { code: 'LINEFY_ERR_INVALID_HANDLER' })
  t.throws(() => app.method('x', {}, 'nope' as never), { code: 'LINEFY_ERR_INVALID_HANDLER' })
  t.throws(() => app.control('x', null as never), { code: 'LINEFY_ERR_INVALID_HANDLER' })
  t.throws(() => app.setErrorMapper(null as never), { code: 'LINEFY_ERR_INVALID_HANDLER' })
  t.throws(() => app.method('t1', { timeout: -1 }, () => 1), { code: 'LINEFY_ERR_INVALID_OPTION', message: /timeout/ })
  t.throws(() => app.method('t2', { timeout: 1.5 }, () => 1), { code: 'LINEFY_ERR_INVALID_OPTION' })
})

t.test('a prefixed method colliding with an existing name is a duplicate', async (t) => {
  const app = linefy()
  app.method('a.b', () => 1)
  app.register(async (a) => { a.method('b', () => 2) }, { prefix: 'a.' })
  await t.rejects(app.ready(), { code: 'LINEFY_ERR_METHOD_DUPLICATE' })
})

t.test('methods and request hooks cannot be added after ready()', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  await app.ready()
  t.throws(() => app.method('late', () => 1), { code: 'LINEFY_ERR_INSTANCE_STARTED' })
  t.throws(() => app.addHook('preHandler', () => {}), { code: 'LINEFY_ERR_INSTANCE_STARTED' })
  t.throws(() => app.addHook('onConnection', () => {}), { code: 'LINEFY_ERR_INSTANCE_STARTED' })
})

t.test('invalid instance options throw at creation', async (t) => {
  t.throws(() => linefy({ concurrency: 0 }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /concurrency/ })
  t.throws(() => linefy({ maxQueue: -1 }), { code: 'LINEFY_ERR_INVALID_OPTION' })
  t.throws(() => linefy({ perConnection: 1.5 }), { code: 'LINEFY_ERR_INVALID_OPTION' })
  t.throws(() => linefy({ maxLineBytes: '10' as never }), { code: 'LINEFY_ERR_INVALID_OPTION' })
  t.throws(() => linefy({ compat: 'loose' as never }), { code: 'LINEFY_ERR_INVALID_OPTION', message: /compat/ })
})

t.test('onClose hooks run last-registered first', async (t) => {
  const app = linefy()
  const order: string[] = []
  app.addHook('onClose', async () => { order.push('first') })
  app.addHook('onClose', callbackHook((_app, done) => { order.push('second'); done() }))
  app.register(async (a) => {
    a.addHook('onClose', () => { order.push('third') })
  })
  await app.ready()
  await app.close()
  t.same(order, ['third', 'second', 'first'])
})

t.test('a failing onClose hook is logged and the others still run', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  const order: string[] = []
  app.addHook('onClose', () => { order.push('ran') })
  app.addHook('onClose', async () => { throw new Error('cannot close db') })
  await app.ready()
  await app.close()
  t.same(order, ['ran'])
  t.match(records.find((r) => r.msg === 'onClose hook failed'), { err: { message: 'cannot close db' } })
})

t.test('onClose hooks get the instance they were added on', async (t) => {
  const app = linefy()
  let got: unknown
  app.register(async (a) => {
    a.decorate('mine', 1)
    a.addHook('onClose', function (this: LinefyInstance, inst: LinefyInstance) { got = [this === inst, inst.hasDecorator('mine')] })
  })
  await app.ready()
  await app.close()
  t.same(got, [true, true])
})

t.test('onReady hooks run in order before ready() resolves', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const order: string[] = []
  app.addHook('onReady', async () => { order.push('a') })
  app.addHook('onReady', callbackHook((_app, done) => {
    order.push('b')
    done()
  }))
  const ready = app.ready()
  t.same(order, [], 'nothing ran synchronously')
  t.equal(await ready, app)
  t.same(order, ['a', 'b'])
  await app.ready()
  t.same(order, ['a', 'b'], 'a second ready() does not run them again')
})

t.test('a failing onReady hook rejects ready()', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('onReady', callbackHook((_app, done) => { done(new Error('no config')) }))
  await t.rejects(app.ready(), { message: 'no config' })
  await t.rejects(app.inject(rpc(1, 'x')), { message: 'no config' }, 'inject reports it too')
})

t.test('preClose runs before onClose, and a failing one is logged', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  const order: string[] = []
  app.addHook('preClose', async () => { order.push('preClose'); throw new Error('flush failed') })
  app.addHook('onClose', () => { order.push('onClose') })
  await app.ready()
  await app.close()
  t.same(order, ['preClose', 'onClose'])
  t.ok(records.some((r) => r.msg === 'preClose hook failed' && r.err?.message === 'flush failed'))
})

t.test('preClose does not run for an app that was never readied', async (t) => {
  const app = linefy()
  let ran = false
  app.addHook('preClose', () => { ran = true })
  await app.close()
  t.notOk(ran)
})

t.test('close() twice returns the same promise', async (t) => {
  const app = linefy()
  await app.ready()
  const a = app.close()
  t.equal(app.close(), a)
  await a
})

t.test('a handler runs with its plugin instance as this and as req.server', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(async (a) => {
    a.decorate('db', 'plugin db')
    a.method('who', function (this: LinefyInstance, req) {
      return [(this as Decorated).db, (req.server as Decorated).db]
    })
  })
  t.same((await app.inject(rpc(1, 'who')))?.result, ['plugin db', 'plugin db'])
})

t.test('a plugin that never finishes loading fails ready() naming the plugin', async (t) => {
  const app = linefy({ pluginTimeout: 20 })
  t.teardown(() => app.close())
  app.register(plugin(() => new Promise<void>(() => {}), { name: 'stuck-db' }))
  await t.rejects(app.ready(), { message: /stuck-db/ })
})

t.test('plugin() falls back to the function name', async (t) => {
  const app = linefy({ pluginTimeout: 20 })
  t.teardown(() => app.close())
  app.register(plugin(function namedStuck () { return new Promise<void>(() => {}) }))
  await t.rejects(app.ready(), { message: /namedStuck/ })
})

t.test("avvio's own errors reach the user as LINEFY_ERR_* with avvio's error as the cause", async (t) => {
  const stuck = linefy({ pluginTimeout: 20 })
  t.teardown(() => stuck.close())
  stuck.register(plugin(() => new Promise<void>(() => {}), { name: 'stuck-db' }))
  const err = await stuck.ready().catch((e: Error) => e) as Error & { code: string, cause: { code: string } }
  t.match(err, { code: 'LINEFY_ERR_PLUGIN_TIMEOUT', message: /did not finish loading within pluginTimeout .*stuck-db.*raise pluginTimeout/ })
  t.equal(err.cause.code, 'AVV_ERR_PLUGIN_EXEC_TIMEOUT')

  const app = linefy()
  t.teardown(() => app.close())
  const invalid = (() => { try { app.register(42 as never) } catch (e) { return e } })() as Error & { cause: { code: string } }
  t.match(invalid, { code: 'LINEFY_ERR_PLUGIN_NOT_VALID', message: /async \(app, opts\) => \{\} function/ })
  t.equal(invalid.cause.code, 'AVV_ERR_PLUGIN_NOT_VALID')
  await app.ready()
  t.throws(() => app.register(async () => {}), { code: 'LINEFY_ERR_PLUGIN_LOADED', cause: { code: 'AVV_ERR_ROOT_PLG_BOOTED' } }, 'registering on a booted app')
})

t.test('a plugin error of its own reaches ready() as it was thrown', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const boom = Object.assign(new Error('db down'), { code: 'EDB' })
  app.register(async () => { throw boom })
  await t.rejects(app.ready(), boom)
})
