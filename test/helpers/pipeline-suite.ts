import type { Test } from 'tap'
import linefy, { plugin, Type, type LinefyInstance, type LinefyOptions, type Request } from '../../index.js'
import { deferred, injectLines, rpc } from './util.js'

/** Builds an app with the piece under test swapped in; the suite registers its own methods on it. */
export type Make = (opts?: LinefyOptions) => LinefyInstance

/** linefy() plus a setup step (setRouter, setGate, register ...), closed at teardown. */
export function maker (t: Test, setup: (app: LinefyInstance) => void = () => {}): Make {
  return (opts = {}) => {
    const app = linefy(opts)
    t.teardown(() => app.close())
    setup(app)
    return app
  }
}

/**
 * The pipeline's behaviour, whatever router, gate or framing carries it: a
 * replacement must pass all of it, as the defaults do.
 */
export function pipelineSuite (t: Test, make: Make): void {
  const app = (opts?: LinefyOptions): LinefyInstance => {
    const a = make(opts)
    a.method('echo', (req) => req.params)
    a.method('add', { schema: { params: Type.Object({ a: Type.Number(), b: Type.Number() }) } }, (req) => req.params.a + req.params.b)
    a.method('boom', () => { throw Object.assign(new Error('no luck'), { code: -32099 }) })
    a.control('status', () => ({ ok: true }))
    return a
  }

  t.test('pipeline: a call, a notification, a control line and a parse error on one connection, in order', async (t) => {
    const replies = await injectLines(app(), [rpc(1, 'echo', [1]), rpc(undefined, 'echo'), { type: 'status' }, 'nope', rpc('b', 'add', { a: 2, b: 3 })])
    t.same(replies[0], { jsonrpc: '2.0', id: 1, result: [1] })
    t.equal(replies[1], undefined)
    t.same(replies[2], { ok: true })
    t.match(replies[3], { id: null, error: { code: -32700 } })
    t.same(replies[4], { jsonrpc: '2.0', id: 'b', result: 5 })
  })

  t.test('pipeline: refusals keep their codes', async (t) => {
    const a = app()
    t.match(await a.inject(rpc(1, 'nope')), { id: 1, error: { code: -32601, message: "unknown method 'nope'" } })
    t.match(await a.inject(rpc(2, 'add', { a: 'x', b: 1 })), { id: 2, error: { code: -32602, message: /\/a/ } })
    t.match(await a.inject(rpc(3, 'boom')), { id: 3, error: { code: -32099, message: 'no luck' } })
    t.match(await a.inject({ jsonrpc: '1.0', id: 4, method: 'echo' }), { id: 4, error: { code: -32600 } })
    t.match(await a.inject({ type: 'reboot' }), { id: null, error: { code: -32600, message: "unknown control type 'reboot'" } })
  })

  t.test('pipeline: a batch answers its requests in one array', async (t) => {
    const [reply] = await injectLines(app(), [JSON.stringify([rpc(1, 'echo', ['x']), rpc(undefined, 'echo'), rpc(2, 'nope')])])
    t.same(reply, [{ jsonrpc: '2.0', id: 1, result: ['x'] }, { jsonrpc: '2.0', id: 2, error: { code: -32601, message: "unknown method 'nope'" } }])
  })

  t.test('pipeline: hooks run in order, encapsulated by plugin, and onSend replaces the result', async (t) => {
    const a = make()
    const seen: string[] = []
    a.addHook('onRequest', () => { seen.push('onRequest') })
    a.register(async (p) => {
      p.addHook('preValidation', async () => { seen.push('preValidation') })
      p.addHook('preHandler', (_req, done) => { seen.push('preHandler'); done() })
      p.addHook('onSend', (_req, result) => { seen.push('onSend'); return { wrapped: result } })
      p.addHook('onResponse', () => { seen.push('onResponse') })
      p.method('inner', () => { seen.push('handler'); return 1 })
    }, { prefix: 'p.' })
    a.method('outer', () => 2)
    t.same(await a.inject(rpc(1, 'p.inner')), { jsonrpc: '2.0', id: 1, result: { wrapped: 1 } })
    t.same(seen, ['onRequest', 'preValidation', 'preHandler', 'handler', 'onSend', 'onResponse'])
    seen.length = 0
    t.same(await a.inject(rpc(2, 'outer')), { jsonrpc: '2.0', id: 2, result: 2 })
    t.same(seen, ['onRequest'], "the plugin's hooks stay in the plugin")
  })

  t.test('pipeline: a timeout answers -32003', async (t) => {
    const a = make()
    a.method('slow', { timeout: 20 }, () => new Promise(() => {}))
    t.match(await a.inject(rpc(9, 'slow')), { id: 9, error: { code: -32003 } })
  })

  t.test('pipeline: a cancel notice aborts the running request, which answers -32800; the notice gets no reply', async (t) => {
    const a = make({ perConnection: 2 })
    let reason: unknown
    a.method('wait', (req: Request) => new Promise((resolve) => {
      req.signal.addEventListener('abort', () => { reason = req.signal.reason; resolve('late') })
    }))
    const [reply, notice] = await injectLines(a, [rpc(1, 'wait'), { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }])
    t.match(reply, { id: 1, error: { code: -32800 } })
    t.equal(notice, undefined)
    t.match(reason, { code: 'LINEFY_ERR_CANCELLED' })
  })

  t.test('pipeline: the gate bounds concurrency, queues, refuses past maxQueue, and its counters return to zero', async (t) => {
    const a = make({ concurrency: 1, maxQueue: 1, perConnection: 3 })
    const gate = deferred()
    let running = 0
    let most = 0
    a.method('hold', async () => {
      most = Math.max(most, ++running)
      await gate.promise
      running--
      return 'ok'
    })
    const replies = injectLines(a, [rpc(1, 'hold'), rpc(2, 'hold'), rpc(3, 'hold')])
    await new Promise<void>((resolve) => { const check = (): void => { a.activity.queued === 1 ? resolve() : setImmediate(check) }; check() })
    t.same({ inFlight: a.activity.inFlight, queued: a.activity.queued }, { inFlight: 1, queued: 1 })
    gate.resolve()
    const [r1, r2, r3] = await replies
    t.same([r1?.result, r2?.result], ['ok', 'ok'])
    t.match(r3, { id: 3, error: { code: -32004 } })
    t.equal(most, 1, 'never two at once')
    t.same({ inFlight: a.activity.inFlight, queued: a.activity.queued }, { inFlight: 0, queued: 0 })
  })

  t.test('pipeline: a shared plugin registers methods with a prefix and an error mapper per context', async (t) => {
    const a = make()
    a.register(plugin(async (p) => { p.method('shared', () => 's') }))
    a.register(async (p) => {
      p.setErrorMapper((err) => ({ code: -32098, message: `mapped: ${(err as Error).message}` }))
      p.method('fails', () => { throw new Error('inner') })
    }, { prefix: 'x.' })
    a.method('fails', () => { throw new Error('outer') })
    t.same((await a.inject(rpc(1, 'shared')))?.result, 's')
    t.match(await a.inject(rpc(2, 'x.fails')), { error: { code: -32098, message: 'mapped: inner' } })
    t.match(await a.inject(rpc(3, 'fails')), { error: { code: -32001, message: 'outer' } })
  })
}
