import t from 'tap'
import linefy, { Type, type Request } from '../index.js'
import { captureLogger, deferred, rpc, settle, injectLines } from './helpers/util.js'

t.test('a method answers with what its handler returns, sync or async', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('sync', () => 's')
  app.method('async', async () => 'a')
  app.method('nothing', () => undefined)
  t.same(await app.inject(rpc(1, 'sync')), { jsonrpc: '2.0', id: 1, result: 's' })
  t.same(await app.inject(rpc('x', 'async')), { jsonrpc: '2.0', id: 'x', result: 'a' })
  t.same(await app.inject(rpc(2, 'nothing')), { jsonrpc: '2.0', id: 2, result: null }, 'undefined becomes null')
})

t.test('the handler sees id, method and params of the request', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('inspect', (req) => ({ id: req.id, method: req.method, params: req.params, note: req.isNotification }))
  t.same((await app.inject(rpc(7, 'inspect', [1, 2])))?.result, { id: 7, method: 'inspect', params: [1, 2], note: false })
})

t.test('req.server is the plugin the method was registered in, with its decorators', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.decorate('name', 'root')
  app.register(async (p) => {
    p.decorate('db', 'the plugin\'s db')
    p.method('inside', (req) => (req.server as { db: string }).db)
  })
  app.method('outside', (req) => (req.server as { name: string, db?: string }).name + ', db ' + String((req.server as { db?: string }).db))
  t.same(await injectLines(app, [rpc(1, 'inside'), rpc(2, 'outside')]), [
    { jsonrpc: '2.0', id: 1, result: 'the plugin\'s db' },
    { jsonrpc: '2.0', id: 2, result: 'root, db undefined' }
  ])
})

t.test('req.log is one logger for the whole request: bindings a hook adds show in what the handler logs', async (t) => {
  const { log, records } = captureLogger('info')
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.addHook('preHandler', (req: Request) => { req.log.setBindings({ user: 'ann' }) })
  app.method('work', (req) => { req.log.info('working'); return 'done' })
  t.same((await app.inject(rpc(1, 'work')))?.result, 'done')
  t.match(records.filter((r) => r.msg === 'working'), [{ user: 'ann', reqId: 1, method: 'work' }])
})

t.test('params are checked against the TypeBox schema: valid params reach the handler typed', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('recall', {
    schema: { params: Type.Object({ cue: Type.String(), limit: Type.Optional(Type.Integer()) }) }
  }, async (req) => {
    // compile-time check: req.params is Static<schema>, so cue is a string
    const cue: string = req.params.cue
    return cue.toUpperCase() + String(req.params.limit ?? '')
  })
  t.same(await app.inject(rpc(1, 'recall', { cue: 'x', limit: 3 })), { jsonrpc: '2.0', id: 1, result: 'X3' })
})

t.test('answers -32602 naming the failing path', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let called = false
  app.method('recall', {
    schema: { params: Type.Object({ cue: Type.String(), opts: Type.Object({ depth: Type.Integer() }) }) }
  }, () => { called = true })
  const wrongType = await app.inject(rpc(1, 'recall', { cue: 5, opts: { depth: 1 } }))
  t.equal(wrongType?.error?.code, -32602)
  t.match(wrongType?.error?.message, /invalid params at \/cue: /)
  const nested = await app.inject(rpc(2, 'recall', { cue: 'x', opts: { depth: 'deep' } }))
  t.match(nested?.error?.message, /at \/opts\/depth/)
  const missing = await app.inject(rpc(3, 'recall'))
  t.match(missing, { id: 3, error: { code: -32602, message: /invalid params at \/: / } }, 'absent params fail at the root')
  t.notOk(called, 'the handler never ran')
})

t.test('a schema without params accepts any params', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('free', { schema: {} }, (req) => req.params)
  t.same((await app.inject(rpc(1, 'free', [1])))?.result, [1])
})

t.test('preValidation may rewrite params before they are checked', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('preValidation', (req: Request) => { req.params = { n: Number((req.params as string[])[0]) } })
  app.method('num', { schema: { params: Type.Object({ n: Type.Number() }) } }, (req) => req.params.n + 1)
  t.equal((await app.inject(rpc(1, 'num', ['41'])))?.result, 42)
})

t.test('a timed-out request answers -32003 and aborts req.signal', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let reason: unknown
  app.method('slow', { timeout: 20 }, (req) => new Promise((resolve) => {
    req.signal.addEventListener('abort', () => { reason = req.signal.reason; resolve('too late') })
  }))
  const reply = await app.inject(rpc(1, 'slow'))
  t.same(reply, { jsonrpc: '2.0', id: 1, error: { code: -32003, message: 'request timed out after 20 ms' } })
  t.match(reason, { code: 'LINEFY_ERR_TIMEOUT' })
})

t.test('a handler that ignores the signal still times out, and its late result is dropped', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const late = deferred<string>()
  let sends = 0
  app.addHook('onSend', () => { sends++ })
  app.method('stubborn', { timeout: 20 }, () => late.promise)
  app.method('next', () => 'served')
  const replies = await injectLines(app, [rpc(1, 'stubborn'), rpc(2, 'next')])
  t.equal(replies[0]?.error?.code, -32003)
  t.equal(replies[1]?.result, 'served', 'the connection moved on')
  t.equal(sends, 1, 'only the second request reached onSend')
  late.resolve('late')
  await late.promise
  await settle()
  t.equal(sends, 1, 'the late result never reached onSend')
})

t.test('a request that finishes in time is not answered again when its deadline passes', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let errors = 0
  app.addHook('onError', () => { errors++ })
  app.method('quick', { timeout: 20 }, async (req) => req.signal.aborted)
  t.same((await app.inject(rpc(1, 'quick')))?.result, false)
  t.equal(errors, 0)
})

t.test('the deadline covers hooks: a request stuck in a hook times out and its handler never runs', async (t) => {
  for (const hook of ['onRequest', 'preValidation', 'preHandler'] as const) {
    await t.test(hook, async (t) => {
      const app = linefy()
      t.teardown(() => app.close())
      const stuck = deferred()
      let ran = false
      app.addHook(hook, () => stuck.promise)
      app.method('m', { timeout: 20 }, () => { ran = true })
      t.equal((await app.inject(rpc(1, 'm')))?.error?.code, -32003)
      stuck.resolve()
      await settle()
      t.notOk(ran)
    })
  }
})

t.test('the deadline covers waiting at the gate: a queued request times out and never runs', async (t) => {
  const app = linefy({ concurrency: 1 })
  t.teardown(() => app.close())
  const busy = deferred()
  let ran = false
  app.method('busy', () => busy.promise)
  app.method('queued', { timeout: 20 }, () => { ran = true })
  const first = app.inject(rpc(1, 'busy'))
  const reply = await app.inject(rpc(2, 'queued'))
  t.equal(reply?.error?.code, -32003)
  t.equal(app.activity.queued, 0, 'no longer counted as queued')
  busy.resolve()
  t.equal((await first)?.result, null)
  t.notOk(ran)
})

t.test('a result that cannot be serialized answers -32603', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('big', () => 1n)
  t.match(await app.inject(rpc(1, 'big')), { id: 1, error: { code: -32603, message: /result could not be serialized/ } })
})

t.test('a handler that throws synchronously answers -32001 with its message', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('boom', () => { throw new Error('disk full') })
  t.same(await app.inject(rpc(1, 'boom')), { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'disk full' } })
})

t.test('a result still in onSend when the deadline passes is dropped for the -32003', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const inOnSend = deferred()
  const releaseOnSend = deferred()
  const onErrorSeen = deferred()
  const releaseOnError = deferred()
  app.addHook('onSend', async () => { inOnSend.resolve(); await releaseOnSend.promise })
  app.addHook('onError', async () => { onErrorSeen.resolve(); await releaseOnError.promise })
  app.method('m', { timeout: 20 }, () => 'computed')
  const reply = app.inject(rpc(1, 'm'))
  await inOnSend.promise
  await onErrorSeen.promise
  releaseOnSend.resolve()
  await settle()
  releaseOnError.resolve()
  t.equal((await reply)?.error?.code, -32003)
})

t.test('a request that failed is not timed out as well while its onError hooks run', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const onErrorSeen = deferred()
  const releaseOnError = deferred()
  const errorsSeen: string[] = []
  const timedOut: string[] = []
  app.addHook('onError', async (req: Request, err: unknown) => {
    errorsSeen.push(`${req.method}:${(err as Error).message}`)
    if (req.method !== 'fails') return
    onErrorSeen.resolve()
    await releaseOnError.promise
  })
  app.addHook('onTimeout', (req: Request) => { timedOut.push(req.method) })
  app.method('fails', { timeout: 20 }, () => { throw new Error('broken') })
  app.method('clock', { timeout: 20 }, () => new Promise(() => {}))
  const failed = app.inject(rpc(1, 'fails'))
  await onErrorSeen.promise
  // started later with the same deadline: once it has timed out, the first deadline has passed too
  t.equal((await app.inject(rpc(2, 'clock')))?.error?.code, -32003)
  releaseOnError.resolve()
  t.same((await failed)?.error, { code: -32001, message: 'broken' })
  t.same(timedOut, ['clock'])
  t.same(errorsSeen, ['fails:broken', 'clock:request timed out after 20 ms'])
})

t.test('a handler that fails after its deadline does not change the -32003 nor reach onError again', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const late = deferred()
  const errorsSeen: string[] = []
  app.addHook('onError', (_req: Request, err: unknown) => { errorsSeen.push((err as Error).message) })
  app.method('stubborn', { timeout: 20 }, () => late.promise)
  t.equal((await app.inject(rpc(1, 'stubborn')))?.error?.code, -32003)
  late.reject(new Error('late failure'))
  await late.promise.catch(() => {})
  await settle()
  t.same(errorsSeen, ['request timed out after 20 ms'])
})

t.test('takes the handler after options left undefined', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const opts = undefined as unknown as Record<string, never>
  app.method('plain', opts, () => 'ran')
  t.same(await app.inject(rpc(1, 'plain')), { jsonrpc: '2.0', id: 1, result: 'ran' })
})

t.test('a request that finishes leaves no timer behind: nothing keeps the process up until its deadline', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('quick', { timeout: 60_000 }, () => 'quick')
  app.method('fails', { timeout: 60_000 }, () => { throw new Error('no') })
  await app.ready()
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = timers()
  await app.inject(rpc(1, 'quick'))
  await app.inject(rpc(2, 'fails'))
  t.equal(timers(), before)
})

t.test('req.signal is one signal however often it is read: a listener added on the first read hears the abort', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const heard: unknown[] = []
  app.method('slow', { timeout: 20 }, (req) => new Promise((resolve) => {
    const first = req.signal
    first.addEventListener('abort', () => { heard.push(first.reason); resolve('ignored') })
    // a second read, as a helper the handler calls would make
    if (req.signal.aborted) resolve('already')
  }))
  t.match(await app.inject(rpc(1, 'slow')), { error: { code: -32003 } })
  t.match(heard, [{ code: 'LINEFY_ERR_TIMEOUT' }])
})
