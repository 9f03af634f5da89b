import t from 'tap'
import { bind, hookRunner, Hooks, shapes, type AnyHook, type BoundHooks, type HookRunner } from '../../src/request/hooks.js'

const runHooks = hookRunner('onRequest', shapes.targetOnly)
const runOnSendHooks = hookRunner('onSend', shapes.transform)
const runOnErrorHooks = hookRunner('onError', shapes.withValue)

interface Outcome { err: unknown, target: unknown, value: unknown }

// a list as ready() binds it; empty lists are never run there, but the runner takes them
const bound = (hooks: AnyHook[], arity: 2 | 3 = 2): BoundHooks => bind(hooks, arity) ?? Object.assign([], { firstCallback: 0 })

function run (runner: HookRunner, hooks: AnyHook[], target: unknown = {}, value?: unknown): Promise<Outcome> {
  const arity = runner === runHooks ? 2 : 3
  return new Promise((resolve) => runner(bound(hooks, arity), target, value, (err, target, value) => resolve({ err, target, value })))
}

t.test('an empty list finishes synchronously with null', async (t) => {
  let outcome: unknown
  runHooks(bound([]), 'target', undefined, (err, target) => { outcome = [err, target] })
  t.same(outcome, [null, 'target'])
})

t.test('synchronous hooks run in one go, without waiting a tick', async (t) => {
  const order: number[] = []
  let finished = false
  runHooks(bound([() => { order.push(1) }, () => { order.push(2) }]), {}, undefined, () => { finished = true })
  t.same(order, [1, 2])
  t.ok(finished)
})

t.test('a thenable resumes the chain when it resolves', async (t) => {
  const order: string[] = []
  const done = run(runHooks, [
    async () => { order.push('a') },
    () => ({ then (ok: () => void) { order.push('thenable'); ok() } }),
    () => { order.push('c') }
  ])
  t.same(order, ['a'], 'the chain paused at the first promise')
  t.same((await done).err, null)
  t.same(order, ['a', 'thenable', 'c'])
})

t.test('a hook with one more parameter than the kind takes is callback style', async (t) => {
  const order: string[] = []
  const outcome = await run(runHooks, [
    (_req: unknown, done: () => void) => { setImmediate(() => { order.push('cb'); done() }) },
    (_req: unknown) => { order.push('sync') }
  ])
  t.same(order, ['cb', 'sync'])
  t.equal(outcome.err, null)
})

t.test('errors end the chain: sync throw, rejection, done(err)', async (t) => {
  const order: string[] = []
  await run(runHooks, [(_req: unknown, done: () => void) => { order.push('cb'); done() }, () => { order.push('plain') }])
  t.same(order, ['cb', 'plain'], 'a plain request hook after a callback one runs in turn')

  const boom = new Error('boom')
  const cases: Record<string, AnyHook> = {
    throw: () => { throw boom },
    reject: () => Promise.reject(boom),
    callback: (_r: unknown, done: (e: unknown) => void) => done(boom)
  }
  for (const [name, hook] of Object.entries(cases)) {
    let after = false
    const outcome = await run(runHooks, [hook, () => { after = true }], 'req')
    t.equal(outcome.err, boom, name)
    t.equal(outcome.target, 'req')
    t.notOk(after, `${name}: later hooks skipped`)
  }
})

t.test('a falsy throw or rejection becomes a coded error', async (t) => {
  const thrown = await run(runHooks, [() => { throw undefined }]) // eslint-disable-line no-throw-literal
  const rejected = await run(runOnSendHooks, [(_r: unknown, _v: unknown) => Promise.reject(null)])
  t.match(thrown.err, { code: 'LINEFY_ERR_HOOK_FALSY_REJECTION', message: /the onRequest hook rejected/ })
  t.match(rejected.err, { code: 'LINEFY_ERR_HOOK_FALSY_REJECTION', message: /the onSend hook rejected/ })
})

t.test('done() called twice finishes once', async (t) => {
  let finishes = 0
  await new Promise<void>((resolve) => {
    runHooks(bound([(_r: unknown, done: (e?: unknown) => void) => { done(new Error('first')); done(new Error('second')) }]), {}, undefined, () => {
      finishes++
      resolve()
    })
  })
  t.equal(finishes, 1)
})

t.test('onSend hooks thread their value: returned, resolved or passed to done', async (t) => {
  const outcome = await run(runOnSendHooks, [
    (_r: unknown, v: number) => v + 1,
    async (_r: unknown, v: number) => v * 10,
    (_r: unknown, v: number, done: (e: unknown, v?: unknown) => void) => done(null, v + 2),
    (_r: unknown, _v: number, done: (e: unknown, v?: unknown) => void) => done(null),
    async () => undefined
  ], {}, 1)
  t.same(outcome, { err: null, target: {}, value: 22 })
})

t.test('onError hooks see the error but cannot replace it', async (t) => {
  const seen: unknown[] = []
  const err = new Error('e')
  const outcome = await run(runOnErrorHooks, [
    (_r: unknown, e: unknown) => { seen.push(e); return 'ignored' },
    (_r: unknown, e: unknown, done: () => void) => { seen.push(e); done() }
  ], {}, err)
  t.same(seen, [err, err])
  t.equal(outcome.value, err)
  t.equal(outcome.err, null)
})

t.test('bind gives null for an empty list, otherwise a copy that knows its first callback-style hook', async (t) => {
  t.equal(bind([], 2), null)
  const list = [() => {}, (_r: unknown, _done: unknown) => {}]
  const copy = bind(list, 2)
  t.same([...(copy ?? [])], list)
  t.not(copy, list)
  t.equal(copy?.firstCallback, 1, 'a hook of two parameters takes done for onRequest')
  t.equal(bind(list, 3)?.firstCallback, 2, 'but not for onSend, whose done is the third')
})

t.test('a cloned Hooks starts from the same hooks and never writes back', async (t) => {
  const parent = new Hooks()
  const f = () => {}
  parent.onRequest.push(f)
  parent.onConnection.push(f)
  const child = parent.clone()
  child.onRequest.push(() => {})
  child.onDisconnect.push(() => {})
  t.same(parent.onRequest, [f])
  t.same(parent.onDisconnect, [])
  t.equal(child.onRequest.length, 2)
  t.same(child.onConnection, [f])
})

t.test('after a callback hook, a promise hook still threads its value and stops the chain when it rejects', async (t) => {
  const callback = (_req: unknown, value: unknown, done: (err: unknown, v?: unknown) => void) => done(null, `${String(value)}+cb`)
  const threaded = await run(runOnSendHooks, [callback, async (_req: unknown, value: unknown) => `${String(value)}+async`], {}, 'r')
  t.same(threaded, { err: null, target: {}, value: 'r+cb+async' })
  const plain = await run(runOnSendHooks, [callback, (_req: unknown, value: unknown) => `${String(value)}+sync`, () => undefined], {}, 'r')
  t.same(plain, { err: null, target: {}, value: 'r+cb+sync' }, 'a plain hook after a callback one threads too; undefined keeps the value')

  const boom = new Error('boom')
  let after = false
  const rejected = await run(runHooks, [(_req: unknown, done: () => void) => done(), async () => { throw boom }, () => { after = true }])
  t.equal(rejected.err, boom)
  t.notOk(after, 'no hook runs after the rejection')

  const falsy = await run(runHooks, [(_req: unknown, done: () => void) => done(), () => Promise.reject(null)])
  t.match(falsy.err, { code: 'LINEFY_ERR_HOOK_FALSY_REJECTION' })
})
