import t from 'tap'
import linefy, { type Connection, type Request } from '../index.js'
import { captureLogger, deferred, rpc, settle, injectLines } from './helpers/util.js'
import { socketPair } from './helpers/wire.js'

type Trace = { trace: string[] }
const trace = (req: Request) => (req.params as Trace).trace

t.test('request hooks run in pipeline order around the handler', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const order: string[] = []
  for (const name of ['onResponse', 'onSend', 'preHandler', 'preValidation', 'onRequest'] as const) {
    app.addHook(name as 'onRequest', () => { order.push(name) })
  }
  app.method('m', () => { order.push('handler') })
  await app.inject(rpc(1, 'm'))
  t.same(order, ['onRequest', 'preValidation', 'preHandler', 'handler', 'onSend', 'onResponse'])
})

t.test('request hooks run for notifications too', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const order: string[] = []
  app.addHook('onRequest', (req: Request) => { order.push(`onRequest:${String(req.isNotification)}`) })
  app.addHook('onResponse', () => { order.push('onResponse') })
  app.method('note', () => { order.push('handler') })
  t.equal(await app.inject(rpc(undefined, 'note')), undefined)
  t.same(order, ['onRequest:true', 'handler', 'onResponse'])
})

for (const name of ['onRequest', 'preValidation', 'preHandler'] as const) {
  t.test(`${name} hooks work sync, async and callback style, in order`, async (t) => {
    const app = linefy()
    t.teardown(() => app.close())
    app.addHook(name, (req: Request) => { trace(req).push('sync') })
    app.addHook(name, async (req: Request) => { await null; trace(req).push('async') })
    app.addHook(name, (req: Request, done: (err?: unknown) => void) => { setImmediate(() => { trace(req).push('callback'); done() }) })
    app.method('m', (req) => trace(req))
    t.same((await app.inject(rpc(1, 'm', { trace: [] })))?.result, ['sync', 'async', 'callback'])
  })

  t.test(`a failing ${name} hook becomes an error reply and the handler never runs`, async (t) => {
    const styles = {
      throws: () => { throw new Error('denied') },
      rejects: async () => { throw new Error('denied') },
      callback: (_req: Request, done: (err?: unknown) => void) => { done(new Error('denied')) },
      'callback throwing': (_req: Request, _done: (err?: unknown) => void) => { throw new Error('denied') }
    }
    for (const [style, hook] of Object.entries(styles)) {
      const app = linefy()
      let ran = false
      let later = false
      app.addHook(name, hook)
      app.addHook(name, () => { later = true })
      app.method('m', () => { ran = true })
      t.same(await app.inject(rpc(1, 'm')), { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'denied' } }, style)
      t.notOk(ran, `${style}: handler skipped`)
      t.notOk(later, `${style}: later hooks skipped`)
      await app.close()
    }
  })
}

t.test('a hook rejecting with nothing still fails the request with a coded error', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('preHandler', (req: Request) => {
    if ((req.params as { how: string }).how === 'reject') return Promise.reject(undefined)
    throw null // eslint-disable-line no-throw-literal
  })
  app.method('m', () => 'ran')
  for (const how of ['reject', 'throw']) {
    t.match(await app.inject(rpc(1, 'm', { how })), {
      error: { code: -32001, message: 'the preHandler hook rejected with a falsy value: reject with an Error' }
    }, how)
  }
})

t.test('a hook can reject the request with its own JSON-RPC code', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('onRequest', async () => { throw Object.assign(new Error('unauthorized'), { code: -32010 }) })
  app.method('m', () => 'ran')
  t.same((await app.inject(rpc(1, 'm')))?.error, { code: -32010, message: 'unauthorized' })
})

t.test('onSend may replace the result: returned, resolved or passed to done', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('onSend', (_req: Request, result: unknown) => [result, 'sync'])
  app.addHook('onSend', async (_req: Request, result: unknown) => [result, 'async'])
  app.addHook('onSend', (_req: Request, result: unknown, done: (err: unknown, v?: unknown) => void) => { done(null, [result, 'callback']) })
  app.addHook('onSend', () => undefined)
  app.method('m', () => 'r')
  t.same((await app.inject(rpc(1, 'm')))?.result, [[['r', 'sync'], 'async'], 'callback'], 'returning undefined keeps the result')
})

t.test('a failing onSend hook turns the reply into an error', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let errorsSeen = 0
  app.addHook('onError', () => { errorsSeen++ })
  app.addHook('onSend', (_req: Request, _v: unknown, done: (err: unknown) => void) => { done(new Error('redaction failed')) })
  app.method('m', () => 'secret')
  t.same((await app.inject(rpc(1, 'm')))?.error, { code: -32001, message: 'redaction failed' })
  t.equal(errorsSeen, 1)
})

t.test('onSend runs for notifications but nothing is written', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const sent: unknown[] = []
  app.addHook('onSend', (_req: Request, v: unknown) => { sent.push(v) })
  app.method('note', () => 'quiet')
  t.equal(await app.inject(rpc(undefined, 'note')), undefined)
  t.same(sent, ['quiet'])
})

t.test('onError hooks see the request and the error, sync, async and callback style', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const seen: string[] = []
  const boom = new Error('kaput')
  app.addHook('onError', (req: Request, err: unknown) => { seen.push(`sync:${req.method}:${String(err === boom)}`) })
  app.addHook('onError', async (_req: Request, err: unknown) => { seen.push(`async:${(err as Error).message}`) })
  app.addHook('onError', (_req: Request, _err: unknown, done: () => void) => { seen.push('callback'); done() })
  app.method('m', () => { throw boom })
  t.same((await app.inject(rpc(1, 'm')))?.error, { code: -32001, message: 'kaput' })
  t.same(seen, ['sync:m:true', 'async:kaput', 'callback'])
})

t.test('a failing onError hook is logged and the original error is still answered', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.addHook('onError', async () => { throw new Error('hook broke') })
  app.method('m', () => { throw new Error('original') })
  t.same((await app.inject(rpc(1, 'm')))?.error, { code: -32001, message: 'original' })
  t.match(records.find((r) => r.msg === 'onError hook failed'), { err: { message: 'hook broke' } })
})

t.test('onResponse runs after the reply is written; a failing one is only logged', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  const done = deferred<number>()
  app.addHook('onResponse', (req: Request) => { done.resolve(req.id as number) })
  app.addHook('onResponse', async () => { throw new Error('metrics down') })
  app.method('m', () => 'ok')
  t.same(await app.inject(rpc(5, 'm')), { jsonrpc: '2.0', id: 5, result: 'ok' })
  t.equal(await done.promise, 5)
  await settle()
  t.match(records.find((r) => r.msg === 'onResponse hook failed'), { err: { message: 'metrics down' } })
})

t.test('onResponse runs for error replies too', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let responded = 0
  app.addHook('onResponse', () => { responded++ })
  app.method('m', () => { throw new Error('x') })
  await app.inject(rpc(1, 'm'))
  t.equal(responded, 1)
})

t.test('onTimeout runs when a request times out; a failing one is only logged', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  const timedOut: unknown[] = []
  app.addHook('onTimeout', (req: Request) => { timedOut.push(req.id) })
  app.addHook('onTimeout', () => { throw new Error('alert failed') })
  app.method('slow', { timeout: 20 }, () => new Promise(() => {}))
  app.method('fast', { timeout: 20 }, () => 'fast')
  t.equal((await app.inject(rpc(1, 'slow')))?.error?.code, -32003)
  t.equal((await app.inject(rpc(2, 'fast')))?.result, 'fast')
  t.same(timedOut, [1])
  t.match(records.find((r) => r.msg === 'onTimeout hook failed'), { err: { message: 'alert failed' } })
})

t.test('onConnection and onDisconnect run once per connection', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const events: string[] = []
  app.addHook('onConnection', (conn: Connection) => { events.push(`open:${conn.id}`) })
  app.addHook('onDisconnect', async (conn: Connection) => { events.push(`close:${conn.id}`) })
  app.method('m', (req) => { events.push(`req:${req.connection.id}`) })
  await injectLines(app, [rpc(1, 'm'), rpc(2, 'm')])
  await settle()
  t.same(events, ['open:1', 'req:1', 'req:1', 'close:1'])
})

t.test('an onConnection hook can refuse an injected connection', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let ran = false
  app.addHook('onConnection', (_conn: Connection, done: (err?: Error) => void) => { done(new Error('not allowed')) })
  app.method('m', () => { ran = true })
  await t.rejects(app.inject(rpc(1, 'm')), { message: 'not allowed' })
  t.notOk(ran)
  t.equal(app.activity.connections, 0)
})

t.test('an onConnection hook can refuse a served connection: it is closed unread', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let ran = false
  app.addHook('onConnection', async () => { throw new Error('peer uid not allowed') })
  app.method('m', () => { ran = true })
  await app.ready()
  const sock = socketPair()
  sock.send(JSON.stringify(rpc(1, 'm')) + '\n')
  const closed = new Promise((resolve) => sock.server.on('close', resolve))
  app.serve(sock.server)
  await closed
  t.notOk(ran)
  t.same(sock.lines.all, [])
  t.equal(app.activity.connections, 0)
})

t.test('a served connection is read once onConnection hooks pass', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const gate = deferred()
  app.addHook('onConnection', () => gate.promise)
  app.method('m', () => 'served')
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(1, 'm')) + '\n')
  gate.resolve()
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, result: 'served' })
})

t.test('a failing onDisconnect hook is only logged', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.addHook('onDisconnect', () => { throw new Error('cleanup failed') })
  app.method('m', () => 'ok')
  t.equal((await app.inject(rpc(1, 'm')))?.result, 'ok')
  t.match(records.find((r) => r.msg === 'onDisconnect hook failed'), { err: { message: 'cleanup failed' }, conn: 1 })
})

t.test('conn.notify pushes a notification to the client, and says so', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const pushed: boolean[] = []
  app.method('work', (req) => {
    pushed.push(req.connection.notify('progress', { pct: 50 }))
    pushed.push(req.connection.notify('ping'))
    return 'done'
  })
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(1, 'work')) + '\n')
  t.same(await sock.lines.next(), { jsonrpc: '2.0', method: 'progress', params: { pct: 50 } })
  t.same(await sock.lines.next(), { jsonrpc: '2.0', method: 'ping' })
  t.same(await sock.lines.next(), { jsonrpc: '2.0', id: 1, result: 'done' })
  t.same(pushed, [true, true])
})

t.test('a notification sent from an onConnection hook reaches the client before it has sent anything', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('onConnection', async (conn) => { conn.notify('hello', { server: 'linefy' }) })
  await app.ready()
  const sock = socketPair()
  t.teardown(() => sock.server.destroy())
  app.serve(sock.server)
  t.same(await sock.lines.next(), { jsonrpc: '2.0', method: 'hello', params: { server: 'linefy' } })
})

t.test('conn.notify on an injected connection does not crash the process', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let pushed: boolean | undefined
  app.method('work', async (req) => {
    pushed = req.connection.notify('progress')
    await settle()
    return 'done'
  })
  t.same(await app.inject(rpc(1, 'work')), { jsonrpc: '2.0', id: 1, result: 'done' })
  t.equal(pushed, false, 'notify says nothing was pushed: inject has no client to push to')
})

t.test('a request answered while an async hook is pending runs none of the hooks after it, nor its handler', async (t) => {
  for (const name of ['onRequest', 'preValidation', 'preHandler'] as const) {
    const app = linefy()
    t.teardown(() => app.close())
    const ran: string[] = []
    const pending = deferred()
    app.addHook(name, () => pending.promise)
    app.addHook(name, () => { ran.push(`second ${name}`) })
    app.addHook('preHandler', () => { ran.push('preHandler') })
    app.method('m', { timeout: 15 }, () => { ran.push('handler') })
    t.match(await app.inject(rpc(1, 'm')), { id: 1, error: { code: -32003 } }, name)
    pending.resolve()
    await settle()
    t.same(ran, [], `nothing ran after the pending ${name} hook`)
  }
})

t.test('while a timed-out request\'s async onError hooks run, nothing else of it runs: later hooks, handler, onSend, a second onError', async (t) => {
  for (const where of ['onRequest', 'preValidation', 'preHandler', 'handler resolves', 'handler rejects'] as const) {
    const app = linefy()
    t.teardown(() => app.close())
    const ran: string[] = []
    const pending = deferred()
    const timedOut = deferred()
    const errorHooks = deferred()
    let onErrors = 0
    const hook = where.startsWith('handler') ? null : where
    if (hook !== null) {
      app.addHook(hook, () => pending.promise)
      app.addHook(hook, () => { ran.push(`second ${hook}`) })
    }
    app.addHook('preValidation', () => { ran.push('preValidation') })
    app.addHook('preHandler', () => { ran.push('preHandler') })
    app.addHook('onTimeout', () => timedOut.resolve())
    app.addHook('onError', async () => { onErrors++; await errorHooks.promise })
    app.addHook('onSend', () => { ran.push('onSend') })
    // not gated, so nothing but the pipeline's own checks stands between a hook and the handler
    app.method('m', { timeout: 15, gated: false }, () => {
      if (hook !== null) return ran.push('handler')
      return where === 'handler resolves' ? pending.promise.then(() => 'late') : pending.promise.then(() => { throw new Error('late') })
    })
    const reply = app.inject(rpc(1, 'm'))
    await timedOut.promise
    // what ran before the deadline ran legitimately
    ran.length = 0
    pending.resolve()
    await settle()
    errorHooks.resolve()
    t.match(await reply, { id: 1, error: { code: -32003 } }, where)
    t.same(ran, [], `${where}: nothing more ran`)
    t.equal(onErrors, 1, `${where}: onError once`)
  }
})

t.test('a client gone while onError hooks run: the request ends once, onResponse once', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  const inError = deferred()
  const errorHooks = deferred()
  let responses = 0
  app.addHook('onError', async () => { inError.resolve(); await errorHooks.promise })
  app.addHook('onResponse', () => { responses++ })
  app.method('boom', () => { throw new Error('boom') })
  await app.ready()
  const sock = socketPair()
  app.serve(sock.server)
  sock.send(JSON.stringify(rpc(1, 'boom')) + '\n')
  await inError.promise
  sock.server.destroy()
  await settle()
  errorHooks.resolve()
  await settle()
  await settle()
  t.equal(responses, 1)
  t.same([app.activity.connections, app.activity.inFlight], [0, 0])
})

t.test('a falsy rejection names its hook, wherever it is', async (t) => {
  const { log, records } = captureLogger('error')
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  for (const name of ['onRequest', 'preValidation', 'onSend'] as const) {
    app.addHook(name, (req: Request) => (req.params as string[])[0] === name ? Promise.reject(null) : undefined) // eslint-disable-line prefer-promise-reject-errors
  }
  app.addHook('onError', (req: Request) => (req.params as string[])[0] === 'onError' ? Promise.reject(false) : undefined) // eslint-disable-line prefer-promise-reject-errors
  app.addHook('onResponse', (req: Request) => (req.params as string[])[0] === 'onResponse' ? Promise.reject(0) : undefined) // eslint-disable-line prefer-promise-reject-errors
  app.addHook('onTimeout', () => Promise.reject(undefined)) // eslint-disable-line prefer-promise-reject-errors
  app.method('m', { timeout: 10 }, (req) => {
    const how = (req.params as string[])[0]
    if (how === 'onError') throw new Error('the handler failed')
    return how === 'onTimeout' ? new Promise(() => {}) : 'ok'
  })
  for (const name of ['onRequest', 'preValidation', 'onSend']) {
    t.match(await app.inject(rpc(1, 'm', [name])), { error: { message: `the ${name} hook rejected with a falsy value: reject with an Error` } })
  }
  t.match(await app.inject(rpc(4, 'm', ['onError'])), { error: { message: 'the handler failed' } }, 'a failing onError hook leaves the original error')
  await app.inject(rpc(2, 'm', ['onResponse']))
  await app.inject(rpc(3, 'm', ['onTimeout']))
  await settle()
  t.match(records.filter((r) => /hook failed/.test(r.msg ?? '')).map((r) => [r.msg, r.err?.message]), [
    ['onError hook failed', 'the onError hook rejected with a falsy value: reject with an Error'],
    ['onResponse hook failed', 'the onResponse hook rejected with a falsy value: reject with an Error'],
    ['onTimeout hook failed', 'the onTimeout hook rejected with a falsy value: reject with an Error']
  ])
  const refusing = linefy({ logger: log })
  t.teardown(() => refusing.close())
  refusing.addHook('onConnection', () => Promise.reject(null)) // eslint-disable-line prefer-promise-reject-errors
  await t.rejects(refusing.inject(rpc(1, 'x')), { message: 'the onConnection hook rejected with a falsy value: reject with an Error' })
  const leaving = linefy({ logger: log })
  t.teardown(() => leaving.close())
  leaving.addHook('onDisconnect', () => Promise.reject(null)) // eslint-disable-line prefer-promise-reject-errors
  await leaving.inject(rpc(1, 'x'))
  await settle()
  t.match(records.at(-1), { msg: 'onDisconnect hook failed', err: { message: 'the onDisconnect hook rejected with a falsy value: reject with an Error' } })
})

t.test('hooks that succeed log no failure: onError, onResponse, onTimeout', async (t) => {
  const { log, records } = captureLogger('trace')
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.addHook('onError', async () => {})
  app.addHook('onResponse', async () => {})
  app.addHook('onTimeout', async () => {})
  app.method('slow', { timeout: 10 }, () => new Promise(() => {}))
  app.method('boom', () => { throw new Error('boom') })
  await app.inject(rpc(1, 'slow'))
  await app.inject(rpc(2, 'boom'))
  await settle()
  t.same(records.filter((r) => /hook failed/.test(r.msg ?? '')), [])
})

t.test('a hook or handler returning null: the chain goes on, the result is null', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('preHandler', () => null)
  app.method('nil', () => null)
  t.strictSame(await app.inject(rpc(1, 'nil')), { jsonrpc: '2.0', id: 1, result: null })
})

t.test('an onError hook cannot replace the error by returning or resolving a value', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('onError', () => new Error('replaced, sync'))
  app.addHook('onError', async () => new Error('replaced, async'))
  app.addHook('onError', () => new Error('replaced, after an async one'))
  app.method('boom', () => { throw new Error('the original') })
  t.match(await app.inject(rpc(1, 'boom')), { error: { code: -32001, message: 'the original' } })
})

t.test('an async onSend hook that resolves nothing leaves the result as it was', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.addHook('onSend', async () => {})
  app.addHook('onSend', (_req: Request, value: unknown) => value)
  app.method('m', () => 'kept')
  t.same((await app.inject(rpc(1, 'm')))?.result, 'kept')
})
