import { codes } from '../core/errors.js'

export const requestHookNames = ['onRequest', 'preValidation', 'preHandler', 'onSend', 'onResponse', 'onError', 'onTimeout'] as const
export const connectionHookNames = ['onConnection', 'onDisconnect'] as const
export const appHookNames = ['onReady', 'preClose', 'onClose'] as const
export const hookNames = [...requestHookNames, ...connectionHookNames, ...appHookNames] as const

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHook = (...args: any[]) => unknown

/**
 * The hook arrays of one plugin context. A child context starts from a copy,
 * so hooks added inside a plugin never reach its parent or siblings.
 */
export class Hooks {
  onRequest: AnyHook[] = []
  preValidation: AnyHook[] = []
  preHandler: AnyHook[] = []
  onSend: AnyHook[] = []
  onResponse: AnyHook[] = []
  onError: AnyHook[] = []
  onTimeout: AnyHook[] = []
  onConnection: AnyHook[] = []
  onDisconnect: AnyHook[] = []

  clone (): Hooks {
    const h = new Hooks()
    for (const name of requestHookNames) h[name] = this[name].slice()
    for (const name of connectionHookNames) h[name] = this[name].slice()
    return h
  }
}

/**
 * A hook list fixed at ready(), with the index of its first callback-style
 * hook (one that takes `done`) worked out once: Function#length is an
 * accessor, too slow to read for every hook of every request.
 */
export type BoundHooks = AnyHook[] & { readonly firstCallback: number }

/** An empty hook list is bound as null so the hot path pays one null check. */
export function bind (hooks: AnyHook[], arity: 2 | 3): BoundHooks | null {
  if (hooks.length === 0) return null
  const i = hooks.findIndex((fn) => fn.length >= arity)
  return Object.assign(hooks.slice(), { firstCallback: i === -1 ? hooks.length : i })
}

export function isThenable (r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function'
}

export type HookDone<T, V> = (err: unknown, target: T, value: V) => void
export type HookRunner = <T, V>(hooks: BoundHooks, target: T, value: V, done: HookDone<T, V>) => void
type Next = (err?: unknown, replacement?: unknown) => void

/** How one kind of hook is called: with the target alone, or with a value it may replace. */
interface Shape {
  /** Parameters of a callback-style hook, its done callback included: 2 for (target, done), 3 for (target, value, done). */
  arity: 2 | 3
  callWithDone (fn: AnyHook, target: unknown, value: unknown, next: Next): unknown
  /** A hook's return value replaces the value for the rest of the chain (onSend). */
  threads: boolean
}

const targetOnly: Shape = {
  arity: 2,
  callWithDone: (fn, target, _, next) => fn(target, next),
  // Stryker disable next-line BooleanLiteral: equivalent, a target-only hook is not given the value, and no caller of its runners reads it
  threads: false
}
const withValue: Shape = {
  arity: 3,
  callWithDone: (fn, target, value, next) => fn(target, value, next),
  threads: false
}
const transform: Shape = { ...withValue, threads: true }

/**
 * Builds the runner of one hook name, in the shape of Fastify's
 * hookRunnerGenerator: an index walks the array, a hook that returns a
 * non-thenable continues the loop synchronously, a thenable or a
 * callback-style hook resumes it later. Synchronous throws and rejections end
 * the chain with the error; a falsy rejection becomes a real error so it can
 * never pass as success. `stopped` is asked before each hook that follows an
 * asynchronous one: a request answered meanwhile (cancelled, timed out) runs
 * no more hooks. `suspends` hears of a chain about to wait, once, before it does.
 *
 * While hooks return plain values the chain runs in a loop that allocates
 * nothing; the first callback-style hook or thenable hands the rest of the
 * chain to `resume`, whose closures exist only for asynchronous hooks.
 */
export function hookRunner (name: string, shape: Shape, stopped: (target: never) => boolean = never, suspends: (target: never) => void = nothing): HookRunner {
  const { arity, callWithDone, threads } = shape
  const falsy = (): Error => new codes.LINEFY_ERR_HOOK_FALSY_REJECTION(name)

  return function runHooks<T, V> (hooks: BoundHooks, target: T, value: V, done: HookDone<T, V>): void {
    const sync = hooks.firstCallback
    for (let i = 0; i < hooks.length; i++) {
      if (i === sync) {
        suspends(target as never)
        return resume(hooks, i, target, value, done)
      }
      const fn = hooks[i] as AnyHook
      let r: unknown
      try {
        // called here, not through the shape: the loop every request takes stays one direct call
        r = arity === 2 ? fn(target) : fn(target, value)
      } catch (e) {
        return done(e ?? falsy(), target, value)
      }
      if (isThenable(r)) {
        const rest = i + 1
        suspends(target as never)
        r.then(
          (v) => resume(hooks, rest, target, threads && v !== undefined ? v as V : value, done),
          (e) => done(e || falsy(), target, value))
        return
      }
      if (threads && r !== undefined) value = r as V
    }
    done(null, target, value)
  }

  function resume<T, V> (hooks: AnyHook[], from: number, target: T, value: V, done: HookDone<T, V>): void {
    let i = from
    let settled = false
    next()

    function finish (err: unknown): void {
      if (settled) return
      settled = true
      done(err, target, value)
    }

    function next (err?: unknown, replacement?: unknown): void {
      if (err !== undefined && err !== null) return finish(err)
      if (threads && replacement !== undefined) value = replacement as V
      while (i < hooks.length) {
        // the request may have been answered while the last hook was pending
        if (stopped(target as never)) return finish(null)
        const fn = hooks[i++]
        let r: unknown
        try {
          if (fn.length >= arity) {
            callWithDone(fn, target, value, next)
            return
          }
          r = arity === 2 ? fn(target) : fn(target, value)
        } catch (e) {
          return finish(e ?? falsy())
        }
        if (isThenable(r)) {
          r.then(onResolve, onReject)
          return
        }
        if (threads && r !== undefined) value = r as V
      }
      finish(null)
    }

    function onResolve (v: unknown): void { next(null, v) }
    function onReject (e: unknown): void { finish(e || falsy()) }
  }
}

// Stryker disable next-line BlockStatement: equivalent, undefined is as falsy as false
function never (): boolean {
  return false
}

function nothing (): void {}

export const shapes = { targetOnly, withValue, transform }

export const runOnConnectionHooks = hookRunner('onConnection', targetOnly)
export const runOnDisconnectHooks = hookRunner('onDisconnect', targetOnly)
