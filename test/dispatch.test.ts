import t from 'tap'
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import pino from 'pino'
import linefy, { Type, type Request } from '../index.js'
import { captureLogger, deferred, injectLines, rpc, waitFor } from './helpers/util.js'
import { socketPair } from './helpers/wire.js'

t.test('a method runs another through conn.dispatch() and gets its reply line, hooks and schema checks included', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const seen: string[] = []
  app.addHook('onRequest', (req) => { seen.push(req.method) })
  app.method('add', { schema: { params: Type.Object({ a: Type.Number(), b: Type.Number() }) } }, (req) => req.params.a + req.params.b)
  app.method('outer', async (req: Request) => [
    await req.connection.dispatch(rpc('in1', 'add', { a: 2, b: 3 })),
    await req.connection.dispatch(rpc('in2', 'add', { a: 'x', b: 1 })),
    await req.connection.dispatch(rpc(undefined, 'add', { a: 1, b: 1 })) ?? 'no reply'
  ])
  const reply = await app.inject(rpc(1, 'outer'))
  t.same(reply?.result, [
    '{"jsonrpc":"2.0","id":"in1","result":5}',
    '{"jsonrpc":"2.0","id":"in2","error":{"code":-32602,"message":"invalid params at /a: Expected number"}}',
    'no reply'
  ])
  t.same(seen, ['outer', 'add', 'add', 'add'])
})

t.test('conn.dispatchNow() gives the line at once when the request ended at once, else the promise of it', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('now', () => 'sync')
  app.method('later', async () => 'async')
  app.method('outer', async (req: Request) => {
    const now = req.connection.dispatchNow(rpc('n', 'now'))
    const later = req.connection.dispatchNow(rpc('l', 'later'))
    return [now, later instanceof Promise, await later]
  })
  t.same((await app.inject(rpc(1, 'outer')))?.result, ['{"jsonrpc":"2.0","id":"n","result":"sync"}', true, '{"jsonrpc":"2.0","id":"l","result":"async"}'])
})

t.test("the caller's meta, progress listener and logger reach the request it dispatches, and only that one", async (t) => {
  const records: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk, _, cb) { records.push(JSON.parse(String(chunk))); cb() } })
  const app = linefy()
  t.teardown(() => app.close())
  app.method('inner', (req: Request) => {
    req.log.info('inside')
    return { meta: req.meta, sent: [req.progress(1, 2, 'half'), req.progress(2)] }
  })
  const progress: unknown[] = []
  app.method('outer', async (req: Request) => {
    const line = await req.connection.dispatch(rpc('i', 'inner'), {
      meta: { progressToken: 7 },
      progress: (...args) => { progress.push(args) },
      log: pino({ level: 'info' }, sink).child({ via: 'outer' })
    })
    return { inner: JSON.parse(line as string).result, outerMeta: req.meta ?? null, outerProgress: req.progress(1) }
  })
  t.same((await app.inject(rpc(1, 'outer')))?.result, { inner: { meta: { progressToken: 7 }, sent: [true, true] }, outerMeta: null, outerProgress: false })
  t.same(progress, [[1, 2, 'half'], [2, undefined, undefined]])
  t.match(records, [{ via: 'outer', reqId: 'i', method: 'inner', msg: 'inside' }])
})

t.test("a request's failure is logged at the level of its own logger, not the connection's: a dispatched request's, or one a hook changed", async (t) => {
  const own = captureLogger('warn')
  const app = linefy({ logger: own.log })
  t.teardown(() => app.close())
  // -32099 is no handler crash: 'request failed' is logged at info
  app.method('refuses', () => { throw Object.assign(new Error('not now'), { code: -32099 }) })
  app.addHook('onRequest', (req: Request) => { if (req.id === 'verbose') req.log.level = 'info' })
  const caller = captureLogger('info')
  app.method('outer', async (req: Request) => await req.connection.dispatch(rpc('inner', 'refuses'), { log: caller.log }))
  t.same((await app.inject(rpc(1, 'outer')))?.result, '{"jsonrpc":"2.0","id":"inner","error":{"code":-32099,"message":"not now"}}')
  t.match(caller.records.filter((r) => r.msg === 'request failed'), [{ level: 30, reqId: 'inner', code: -32099, err: { message: 'not now' } }])
  await injectLines(app, [rpc('quiet', 'refuses'), rpc('verbose', 'refuses')])
  t.match(own.records.filter((r) => r.msg === 'request failed'), [{ level: 30, reqId: 'verbose', code: -32099 }], 'only the request whose logger a hook set to info')
})

t.test('a dispatched request is cancelled with the request it runs for: when that one is cancelled, or already was', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const started = deferred()
  const reasons: unknown[] = []
  const lines: unknown[] = []
  const finished = deferred()
  let running = 0
  app.method('slow', (req: Request) => new Promise((resolve) => {
    if (++running === 2) started.resolve()
    req.signal.addEventListener('abort', () => { reasons.push(req.signal.reason); resolve('late') })
  }))
  app.method('quick', () => 'quick')
  app.method('outer', async (req: Request) => {
    lines.push(await req.connection.dispatch(rpc('q', 'quick'), { parent: req }))
    const slow = [req.connection.dispatch(rpc('s', 'slow'), { parent: req }), req.connection.dispatch(rpc('t', 'slow'), { parent: req })]
    lines.push(...await Promise.all(slow))
    lines.push(await req.connection.dispatch(rpc('e', 'slow'), { parent: req }))
    finished.resolve()
  })
  const replies = injectLines(app, [rpc(1, 'outer'), { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }])
  await started.promise
  t.same(await replies, [{ jsonrpc: '2.0', id: 1, error: { code: -32800, message: 'request cancelled' } }, undefined])
  await finished.promise
  t.same(lines, [
    '{"jsonrpc":"2.0","id":"q","result":"quick"}',
    '{"jsonrpc":"2.0","id":"s","error":{"code":-32800,"message":"request cancelled"}}',
    '{"jsonrpc":"2.0","id":"t","error":{"code":-32800,"message":"request cancelled"}}',
    '{"jsonrpc":"2.0","id":"e","error":{"code":-32800,"message":"request cancelled"}}'
  ], 'the one that ran first was not touched; the one dispatched after the cancel was cancelled at once')
  t.match(reasons, [{ code: 'LINEFY_ERR_CANCELLED' }, { code: 'LINEFY_ERR_CANCELLED' }, { code: 'LINEFY_ERR_CANCELLED' }])
})

t.test('the requests still running when the request they run for is cancelled are cancelled with it; one that already ended is not, nor a request of the client with its id', async (t) => {
  const app = linefy({ perConnection: 2 })
  t.teardown(() => app.close())
  const reasons: unknown[] = []
  const bothRunning = deferred()
  const clientRunning = deferred()
  const releaseClient = deferred()
  const outerDone = new EventEmitter()
  let running = 0
  app.method('slow', (req: Request) => new Promise((resolve) => {
    if (++running === 2) bothRunning.resolve()
    req.signal.addEventListener('abort', () => { reasons.push(req.signal.reason); resolve('late') })
  }))
  app.method('quick', async () => 'quick')
  app.method('mine', async (req: Request) => {
    clientRunning.resolve()
    await releaseClient.promise
    return req.signal.aborted ? 'aborted' : 'finished'
  })
  app.method('outer', async (req: Request) => {
    const s = req.connection.dispatch(rpc('s', 'slow'), { parent: req })
    // it ends while the others run, and its id is one the client uses too
    const c = await req.connection.dispatch(rpc('c', 'quick'), { parent: req })
    const lines = [c, ...await Promise.all([s, req.connection.dispatch(rpc('t', 'slow'), { parent: req })])]
    outerDone.emit('done', lines)
  })
  await app.ready()
  const sock = socketPair()
  app.serve(sock.server)
  t.teardown(() => sock.server.destroy())
  sock.send(JSON.stringify(rpc(1, 'outer')) + '\n' + JSON.stringify(rpc('c', 'mine')) + '\n')
  await bothRunning.promise
  await clientRunning.promise
  t.same(reasons, [], 'nothing was cancelled before its parent was')
  const done = waitFor<[string[]]>(outerDone, 'done')
  sock.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }) + '\n')
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, error: { code: -32800, message: 'request cancelled' } })
  const [lines] = await done
  t.same(lines, [
    '{"jsonrpc":"2.0","id":"c","result":"quick"}',
    '{"jsonrpc":"2.0","id":"s","error":{"code":-32800,"message":"request cancelled"}}',
    '{"jsonrpc":"2.0","id":"t","error":{"code":-32800,"message":"request cancelled"}}'
  ])
  t.match(reasons, [{ code: 'LINEFY_ERR_CANCELLED' }, { code: 'LINEFY_ERR_CANCELLED' }])
  releaseClient.resolve()
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 'c', result: 'finished' }, "the client's own request 'c' was not touched")
})

t.test('a request its parent dispatches once it has ended, from its abort listener, is cancelled at once, and the ones still running are cancelled too', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const finished = new EventEmitter()
  app.method('slow', (req: Request) => new Promise((resolve) => { req.signal.addEventListener('abort', () => resolve('late')) }))
  app.method('cleanup', async () => 'cleaned')
  app.method('outer', { timeout: 20 }, (req: Request) => {
    const lines = [req.connection.dispatch(rpc('s', 'slow'), { parent: req }), req.connection.dispatch(rpc('t', 'slow'), { parent: req })]
    req.signal.addEventListener('abort', () => {
      lines.push(req.connection.dispatch(rpc('c', 'cleanup'), { parent: req }))
      void Promise.all(lines).then((all) => finished.emit('done', all))
    })
    return new Promise(() => {})
  })
  const done = waitFor<[string[]]>(finished, 'done')
  t.match(await app.inject(rpc(1, 'outer')), { id: 1, error: { code: -32003 } })
  const cancelled = (id: string) => `{"jsonrpc":"2.0","id":"${id}","error":{"code":-32800,"message":"request cancelled"}}`
  t.same((await done)[0], [cancelled('s'), cancelled('t'), cancelled('c')])
})

t.test('a request that ended reports no progress: not once it timed out, even while its onError hooks still run, nor after its reply', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const sent: boolean[] = []
  const progressed = deferred()
  let inner: Request | undefined
  app.addHook('onError', async (req: Request) => { if (req.method === 'inner') await progressed.promise })
  app.method('inner', { timeout: 20 }, async (req: Request) => {
    inner = req
    sent.push(req.progress(1))
    await new Promise((resolve) => req.signal.addEventListener('abort', resolve))
    sent.push(req.progress(2))
    progressed.resolve()
  })
  const progress: unknown[] = []
  app.method('outer', async (req: Request) => {
    const line = await req.connection.dispatch(rpc('i', 'inner'), { progress: (p) => { progress.push(p) } })
    return [line, (inner as Request).progress(3)]
  })
  t.same((await app.inject(rpc(1, 'outer')))?.result, ['{"jsonrpc":"2.0","id":"i","error":{"code":-32003,"message":"request timed out after 20 ms"}}', false])
  t.same(sent, [true, false])
  t.same(progress, [1], 'only the progress reported while it ran')
})

t.test('a method with gated: false takes no slot, so the requests it runs get one even at concurrency 1', async (t) => {
  const app = linefy({ concurrency: 1 })
  t.teardown(() => app.close())
  const counts: number[] = []
  app.method('inner', () => { counts.push(app.activity.inFlight); return 'ran' })
  app.method('outer', { gated: false }, async (req: Request) => {
    counts.push(app.activity.inFlight)
    return await req.connection.dispatch(rpc('i', 'inner'))
  })
  const replies = await injectLines(app, [rpc(1, 'outer'), rpc(2, 'inner')])
  t.same(replies, [{ jsonrpc: '2.0', id: 1, result: '{"jsonrpc":"2.0","id":"i","result":"ran"}' }, { jsonrpc: '2.0', id: 2, result: 'ran' }])
  t.same(counts, [0, 1, 1], 'only the requests it ran were counted in flight')
  t.throws(() => linefy().method('x', { gated: 'no' as never }, () => 1), { code: 'LINEFY_ERR_INVALID_OPTION', message: /gated/ })
})
