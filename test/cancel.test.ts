import { EventEmitter } from 'node:events'
import t from 'tap'
import linefy, { type Request } from '../index.js'
import { deferred, rpc, settle, injectLines, waitFor } from './helpers/util.js'
import { socketPair } from './helpers/wire.js'

const mcpCancel = (requestId: unknown) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId } })
const lspCancel = (id: unknown) => ({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } })

/** A handler that runs until its signal aborts, reporting the reason. */
function abortable (reasons: unknown[]) {
  return (req: Request) => new Promise((resolve) => {
    req.signal.addEventListener('abort', () => { reasons.push(req.signal.reason); resolve('ignored') })
  })
}

for (const [name, cancel] of [['notifications/cancelled {requestId}', mcpCancel], ['$/cancelRequest {id}', lspCancel]] as const) {
  t.test(`${name} aborts a running request's signal and answers -32800`, async (t) => {
    const app = linefy()
    t.teardown(() => app.close())
    const reasons: unknown[] = []
    app.method('work', abortable(reasons))
    const replies = await injectLines(app, [rpc('w1', 'work'), cancel('w1')])
    t.same(replies, [{ jsonrpc: '2.0', id: 'w1', error: { code: -32800, message: 'request cancelled' } }, undefined])
    t.match(reasons, [{ code: 'LINEFY_ERR_CANCELLED' }])
  })
}

t.test('a cancel is handled the moment it is read, ahead of lines still waiting on the connection', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const reasons: unknown[] = []
  app.method('work', abortable(reasons))
  app.method('after', () => 'after')
  const replies = await injectLines(app, [rpc(1, 'work'), rpc(2, 'after'), mcpCancel(1)])
  t.equal(replies[0]?.error?.code, -32800)
  t.same(replies[1], { jsonrpc: '2.0', id: 2, result: 'after' })
})

t.test('a request cancelled before its turn on the connection is answered -32800 and never runs', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const first = deferred()
  const running = deferred()
  let ran = false
  app.method('first', () => { running.resolve(); return first.promise })
  app.method('second', () => { ran = true })
  const replies = injectLines(app, [rpc(1, 'first'), rpc(2, 'second'), lspCancel(2)])
  await running.promise
  first.resolve()
  t.same(await replies, [
    { jsonrpc: '2.0', id: 1, result: null },
    { jsonrpc: '2.0', id: 2, error: { code: -32800, message: 'request cancelled' } },
    undefined
  ])
  t.notOk(ran)
})

t.test('a request queued at the gate is dropped at once when cancelled', async (t) => {
  const app = linefy({ concurrency: 1, perConnection: 2 })
  t.teardown(() => app.close())
  const busy = deferred()
  const running = deferred()
  let ran = false
  app.method('busy', () => { running.resolve(); return busy.promise })
  app.method('queued', () => { ran = true })
  const replies = injectLines(app, [rpc(1, 'busy'), rpc(2, 'queued'), mcpCancel(2)])
  await running.promise
  await settle()
  t.equal(app.activity.queued, 0, 'the cancelled request left the queue')
  busy.resolve()
  t.same(await replies, [
    { jsonrpc: '2.0', id: 1, result: null },
    { jsonrpc: '2.0', id: 2, error: { code: -32800, message: 'request cancelled' } },
    undefined
  ])
  t.notOk(ran)
})

t.test('a cancelled queued request never starts, even while its onError hooks are still running', async (t) => {
  const app = linefy({ concurrency: 1, perConnection: 2 })
  t.teardown(() => app.close())
  const busy = deferred()
  const running = deferred()
  const onErrorSeen = deferred()
  const onErrorDone = deferred()
  let ran = false
  app.addHook('onError', async () => { onErrorSeen.resolve(); await onErrorDone.promise })
  app.method('busy', () => { running.resolve(); return busy.promise })
  app.method('queued', () => { ran = true })
  const replies = injectLines(app, [rpc(1, 'busy'), rpc(2, 'queued'), mcpCancel(2)])
  await running.promise
  await onErrorSeen.promise
  busy.resolve()
  await settle()
  onErrorDone.resolve()
  const [, second] = await replies
  t.equal(second?.error?.code, -32800)
  t.notOk(ran, 'the handler of a cancelled request did not run')
  t.match(app.activity, { inFlight: 0, queued: 0 })
})

t.test('a cancel naming an unknown id is ignored', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('m', () => 'fine')
  t.same(await injectLines(app, [rpc(1, 'm'), mcpCancel(99), lspCancel(98)]), [{ jsonrpc: '2.0', id: 1, result: 'fine' }, undefined, undefined])
})

t.test('a cancel without a target id cancels nothing', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const first = deferred()
  const running = deferred()
  const notes: string[] = []
  app.method('first', () => { running.resolve(); return first.promise })
  app.method('note', () => { notes.push('ran') })
  const replies = injectLines(app, [rpc(1, 'first'), rpc(undefined, 'note'), { jsonrpc: '2.0', method: 'notifications/cancelled', params: {} }])
  await running.promise
  first.resolve()
  await replies
  t.same(notes, ['ran'])
})

t.test('a method registered under a cancel name handles those lines itself', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const got: unknown[] = []
  app.method('$/cancelRequest', (req) => { got.push(req.params) })
  app.method('m', () => 'not cancelled')
  t.same(await injectLines(app, [rpc(1, 'm'), lspCancel(1)]), [{ jsonrpc: '2.0', id: 1, result: 'not cancelled' }, undefined])
  t.same(got, [{ id: 1 }])
})

t.test('a request cancelled in a hook never reaches its handler, and its signal reads as aborted afterwards', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const hookSaw = deferred()
  const release = deferred()
  let ran = false
  let seen: unknown
  app.addHook('preHandler', async () => { hookSaw.resolve(); await release.promise })
  app.addHook('onError', (req: Request) => { seen = [req.signal.aborted, req.signal.reason] })
  app.method('m', () => { ran = true })
  const replies = injectLines(app, [rpc(1, 'm'), mcpCancel(1)])
  await hookSaw.promise
  release.resolve()
  t.equal((await replies)[0]?.error?.code, -32800)
  t.notOk(ran)
  t.match(seen, [true, { code: 'LINEFY_ERR_CANCELLED' }])
})

t.test('a client that disconnects aborts its running request, frees its slot and gets nothing written', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const started = deferred()
  const aborted = deferred<unknown>()
  let responded = 0
  app.addHook('onResponse', () => { responded++ })
  app.method('work', (req) => new Promise(() => {
    req.signal.addEventListener('abort', () => aborted.resolve(req.signal.reason))
    started.resolve()
  }))
  await app.ready()
  const sock = socketPair()
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(1, 'work')) + '\n')
  await started.promise
  t.equal(app.activity.inFlight, 1)
  sock.server.destroy()
  t.match(await aborted.promise, { code: 'LINEFY_ERR_CLIENT_GONE' })
  t.match(app.activity, { inFlight: 0, connections: 0 })
  t.equal(responded, 1, 'onResponse still ran for the dropped request')
  t.same(sock.lines.all, [])
})

t.test('a client that disconnects drops its requests queued at the gate', async (t) => {
  const app = linefy({ concurrency: 1 })
  t.teardown(() => app.close())
  const started = deferred()
  const busy = deferred()
  let queuedRan = false
  app.method('busy', () => { started.resolve(); return busy.promise })
  app.method('queued', () => { queuedRan = true })
  const reachedGate = deferred()
  // the gate takes the request synchronously after its last preHandler hook
  app.addHook('preHandler', (req: Request) => { if (req.method === 'queued') reachedGate.resolve() })
  const other = app.inject(rpc(1, 'busy'))
  await started.promise
  const sock = socketPair()
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(2, 'queued')) + '\n')
  await reachedGate.promise
  t.equal(app.activity.queued, 1)
  sock.server.destroy()
  await settle()
  t.match(app.activity, { inFlight: 1, queued: 0, connections: 1 })
  busy.resolve()
  t.equal((await other)?.result, null)
  t.notOk(queuedRan)
})

t.test('a client leaving while a timed-out request is still failing writes nothing and keeps the timeout as the reason, whenever the handler reads its signal', async (t) => {
  const app = linefy({ perConnection: 2 })
  t.teardown(() => app.close())
  let failing = 0
  const bothFailing = deferred()
  const onErrorDone = deferred()
  let early: AbortSignal | undefined
  let late: Request | undefined
  app.addHook('onError', async () => {
    if (++failing === 2) bothFailing.resolve()
    await onErrorDone.promise
  })
  app.method('early', { timeout: 20 }, (req) => { early = req.signal; return new Promise(() => {}) })
  // reads its signal only after the client has gone
  app.method('late', { timeout: 20 }, (req) => { late = req; return new Promise(() => {}) })
  await app.ready()
  const sock = socketPair()
  const closed = new Promise((resolve) => sock.server.on('close', resolve))
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(1, 'early')) + '\n' + JSON.stringify(rpc(2, 'late')) + '\n')
  await bothFailing.promise
  sock.server.destroy()
  await closed
  onErrorDone.resolve()
  await settle()
  t.match(early?.reason, { code: 'LINEFY_ERR_TIMEOUT' })
  t.match(late?.signal.reason, { code: 'LINEFY_ERR_TIMEOUT' })
  t.same(sock.lines.all, [])
  t.equal(app.activity.inFlight, 0)
})

t.test('a cancel for a request that is already failing changes nothing, not even its signal', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const onErrorSeen = deferred()
  const releaseOnError = deferred()
  const errorsSeen: unknown[] = []
  app.addHook('onError', async (_req: Request, err: unknown) => {
    errorsSeen.push((err as Error).message)
    onErrorSeen.resolve()
    await releaseOnError.promise
  })
  let signal: AbortSignal | undefined
  app.method('fails', (req) => { signal = req.signal; throw new Error('broken') })
  const replies = injectLines(app, [rpc(1, 'fails'), mcpCancel(1)])
  await onErrorSeen.promise
  releaseOnError.resolve()
  t.same(await replies, [{ jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'broken' } }, undefined])
  t.same(errorsSeen, ['broken'])
  t.equal(signal?.aborted, false, 'its signal is not aborted once its handler has ended')
})

t.test('a client that disconnects with one request running and one queued behind it starts neither again', async (t) => {
  const app = linefy({ concurrency: 1, perConnection: 2 })
  t.teardown(() => app.close())
  const started = deferred()
  const reachedGate = deferred()
  let queuedRan = false
  app.addHook('preHandler', (req: Request) => { if (req.method === 'queued') reachedGate.resolve() })
  app.method('busy', () => { started.resolve(); return new Promise(() => {}) })
  app.method('queued', () => { queuedRan = true })
  await app.ready()
  const sock = socketPair()
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(1, 'busy')) + '\n' + JSON.stringify(rpc(2, 'queued')) + '\n')
  await started.promise
  await reachedGate.promise
  t.match(app.activity, { inFlight: 1, queued: 1 })
  sock.server.destroy()
  await settle()
  t.notOk(queuedRan, 'the queued handler was not started when the running one freed its slot')
  t.match(app.activity, { inFlight: 0, queued: 0, connections: 0 })
})

t.test('on a connection that does not answer cancelled requests (MCP), a cancelled request, running or waiting its turn, gets no reply', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const reasons: unknown[] = []
  let ran = false
  app.method('quiet', (req: Request) => { req.connection.answerCancelled = false; return 'quiet' })
  app.method('work', abortable(reasons))
  app.method('second', () => { ran = true })
  app.method('after', () => 'after')
  const replies = await injectLines(app, [rpc(1, 'quiet'), rpc(2, 'work'), rpc(3, 'second'), mcpCancel(3), mcpCancel(2), rpc(4, 'after')])
  t.same(replies, [{ jsonrpc: '2.0', id: 1, result: 'quiet' }, undefined, undefined, undefined, undefined, { jsonrpc: '2.0', id: 4, result: 'after' }])
  t.match(reasons, [{ code: 'LINEFY_ERR_CANCELLED' }], 'the running one was aborted')
  t.notOk(ran, 'the waiting one never ran')
})

t.test('only a well-formed cancel notice cancels: anything shaped close to one is answered as the request it is, or ignored', async (t) => {
  for (const compat of ['spec', 'seed'] as const) {
    const app = linefy({ compat })
    t.teardown(() => app.close())
    const reasons: unknown[] = []
    // every line below is read while it runs: a wrong cancel would abort it
    app.method('work', async (req) => {
      req.signal.addEventListener('abort', () => reasons.push(req.signal.reason))
      await settle()
      return 'done'
    })
    const replies = await injectLines(app, [
      rpc(1, 'work'),
      { method: 'notifications/cancelled', params: { requestId: 1 } },
      { jsonrpc: '2.0', id: 7, method: '$/cancelRequest', params: { id: 1 } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { requestId: 1 } },
      { jsonrpc: '2.0', method: '$/cancelRequest', params: 1 },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: null },
      { jsonrpc: '2.0', method: '$/cancelRequest' },
      { jsonrpc: '2.0', method: 'notifications/cancelled' }
    ])
    const invalid = (message: string) => ({ jsonrpc: '2.0', id: null, error: { code: -32600, message } })
    t.strictSame(replies, [
      { jsonrpc: '2.0', id: 1, result: 'done' },
      invalid("jsonrpc must be '2.0'"),
      { jsonrpc: '2.0', id: 7, error: { code: -32601, message: "unknown method '$/cancelRequest'" } },
      compat === 'seed' ? invalid('id required and non-null') : undefined,
      compat === 'seed' ? invalid('id required and non-null') : invalid('params must be object or array'),
      compat === 'seed' ? invalid('id required and non-null') : invalid('params must be object or array'),
      undefined,
      undefined
    ], `${compat}: a cancel without params is taken and cancels nothing, even in seed mode where a notification is refused`)
    t.same(reasons, [], compat)
  }
})

t.test('a quick request finishing beside a running one leaves the running one in cancel\'s reach', async (t) => {
  const app = linefy({ perConnection: 2 })
  t.teardown(() => app.close())
  const reasons: unknown[] = []
  app.method('work', abortable(reasons))
  app.method('quick', () => 'quick')
  const replies = await injectLines(app, [rpc('w', 'work'), rpc('q', 'quick'), rpc('q2', 'quick'), mcpCancel('w')])
  t.same(replies.slice(0, 3), [
    { jsonrpc: '2.0', id: 'w', error: { code: -32800, message: 'request cancelled' } },
    { jsonrpc: '2.0', id: 'q', result: 'quick' },
    { jsonrpc: '2.0', id: 'q2', result: 'quick' }
  ])
  t.match(reasons, [{ code: 'LINEFY_ERR_CANCELLED' }])
})

t.test('a cancel notice read from a socket cancels the running request, which alone is answered', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const reasons: unknown[] = []
  app.method('work', abortable(reasons))
  app.method('echo', (req) => req.params)
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  sock.send([rpc('w1', 'work'), mcpCancel('w1'), rpc(2, 'echo', [2])].map((m) => JSON.stringify(m) + '\n').join(''))
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 'w1', error: { code: -32800, message: 'request cancelled' } })
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 2, result: [2] }, 'the notice itself gets no reply')
  t.match(reasons, [{ code: 'LINEFY_ERR_CANCELLED' }])
})

t.test('a client that reuses the id of a request already answered can cancel the new one, though the first waited both in a hook and in its handler', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const reasons: unknown[] = []
  app.addHook('onRequest', async () => {})
  app.method('quick', async () => 'quick')
  const started = new EventEmitter()
  app.method('work', (req: Request) => {
    const running = abortable(reasons)(req)
    started.emit('started')
    return running
  })
  await app.ready()
  const sock = socketPair()
  app.serve(sock.server)
  t.teardown(() => sock.server.destroy())
  sock.send(JSON.stringify(rpc(1, 'quick')) + '\n')
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, result: 'quick' })
  const running = waitFor(started, 'started')
  sock.send(JSON.stringify(rpc(1, 'work')) + '\n')
  await running
  sock.send(JSON.stringify(mcpCancel(1)) + '\n')
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, error: { code: -32800, message: 'request cancelled' } })
  t.match(reasons, [{ code: 'LINEFY_ERR_CANCELLED' }])
})

t.test('a cancel looks past the lines of every shape waiting ahead of its target: only the target is cancelled', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('hold', () => new Promise((resolve) => setImmediate(resolve, 'held')))
  app.method('echo', (req) => req.params)
  const replies = await injectLines(app, [
    rpc(1, 'hold'), 'null', '5', 'not json', [rpc(2, 'echo', [2])], rpc(3, 'echo', [3]), rpc('target', 'echo'), lspCancel('target')
  ])
  t.match(replies, [
    { id: 1, result: 'held' },
    { id: null, error: { code: -32600 } },
    { id: null, error: { code: -32600 } },
    { id: null, error: { code: -32700 } },
    [{ id: 2, result: [2] }],
    { id: 3, result: [3] },
    { id: 'target', error: { code: -32800, message: 'request cancelled' } },
    undefined
  ])
})

t.test('with several requests running, the first finishing leaves every other one in cancel\'s reach', async (t) => {
  const app = linefy({ perConnection: 3 })
  t.teardown(() => app.close())
  const release = deferred()
  const started = new EventEmitter()
  app.method('first', async () => {
    started.emit('started')
    await release.promise
    return 'first'
  })
  app.method('work', (req: Request) => {
    const running = abortable([])(req)
    started.emit('started')
    return running
  })
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  let count = 0
  const allStarted = new Promise<void>((resolve) => started.on('started', () => { if (++count === 3) resolve() }))
  sock.send([rpc('a', 'first'), rpc('b', 'work'), rpc('c', 'work')].map((m) => JSON.stringify(m) + '\n').join(''))
  await allStarted
  release.resolve()
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 'a', result: 'first' })
  sock.send(JSON.stringify(mcpCancel('c')) + '\n' + JSON.stringify(mcpCancel('b')) + '\n')
  t.same([await sock.lines.next(), await sock.lines.next()], [
    { jsonrpc: '2.0', id: 'c', error: { code: -32800, message: 'request cancelled' } },
    { jsonrpc: '2.0', id: 'b', error: { code: -32800, message: 'request cancelled' } }
  ])
})

t.test('a cancel for an id both running and waiting (a client reusing ids) cancels the running one only', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('work', abortable([]))
  app.method('next', () => new Promise((resolve) => setImmediate(resolve, 'next')))
  app.method('echo', (req) => req.params)
  // 'next' takes the slot the cancel frees, so the second id 1 is still waiting after it
  const replies = await injectLines(app, [rpc(1, 'work'), rpc(2, 'next'), rpc(1, 'echo', ['waiting']), mcpCancel(1)])
  t.same(replies, [
    { jsonrpc: '2.0', id: 1, error: { code: -32800, message: 'request cancelled' } },
    { jsonrpc: '2.0', id: 2, result: 'next' },
    { jsonrpc: '2.0', id: 1, result: ['waiting'] },
    undefined
  ])
})
