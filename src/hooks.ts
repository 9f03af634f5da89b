import { codes } from './errors.js'

export const requestHookNames = ['onRequest', 'preValidation', 'preHandler', 'onSend', 'onResponse', 'onError', 'onTimeout'] as const
export const connectionHookNames = ['onConnection', 'onDisconnect'] as const
export const appHookNames = ['onReady', 'preClose', 'onClose'] as const
export const hookNames = [...requestHookNames, ...connectionHookNames, ...appHookNames] as const

export type RequestHookName = typeof requestHookNames[number]
export type ConnectionHookName = typeof connectionHookNames[number]
export type HookName = typeof hookNames[number]

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

/** An empty hook list is bound as null so the hot path pays one null check. */
export function bind (hooks: AnyHook[]): AnyHook[] | null {
  return hooks.length === 0 ? null : hooks.slice()
}

export type HookDone<T, V> = (err: unknown, target: T, value: V) => void

function isThenable (r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function'
}

/**
 * Builds a hook runner in Fastify's shape: an index walks the array, a hook
 * that returns a non-thenable continues the loop synchronously, a thenable or
 * a callback-style hook (one more parameter than the hook kind takes) resumes
 * it later. Synchronous throws and rejections end the chain with the error;
 * a falsy rejection becomes a real error so it can never pass as success.
 *
 * `withValue` hooks are called as fn(target, value); `thread` lets a hook's
 * return value replace `value` for the rest of the chain (onSend).
 *
 * While hooks return plain values the chain runs in a loop that allocates
 * nothing; the first callback-style hook or thenable hands the rest of the
 * chain to `resume`, whose closures exist only for asynchronous hooks.
 */
function runner (kind: string, withValue: boolean, thread: boolean) {
  const callbackArity = withValue ? 3 : 2
  return function runHooks<T, V> (hooks: AnyHook[], target: T, value: V, done: HookDone<T, V>): void {
    for (let i = 0; i < hooks.length; i++) {
      const fn = hooks[i]
      if (fn.length >= callbackArity) return resume(hooks, i, target, value, done)
      let r: unknown
      try {
        r = withValue ? fn(target, value) : fn(target)
      } catch (e) {
        return done(e ?? new codes.LINEFY_ERR_HOOK_FALSY_REJECTION(kind), target, value)
      }
      if (isThenable(r)) {
        const rest = i + 1
        r.then(
          (v) => resume(hooks, rest, target, thread && v !== undefined ? v as V : value, done),
          (e) => done(e || new codes.LINEFY_ERR_HOOK_FALSY_REJECTION(kind), target, value))
        return
      }
      if (thread && r !== undefined) value = r as V
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
      if (thread && replacement !== undefined) value = replacement as V
      while (i < hooks.length) {
        const fn = hooks[i++]
        let r: unknown
        try {
          if (fn.length >= callbackArity) {
            if (withValue) fn(target, value, next)
            else fn(target, next)
            return
          }
          r = withValue ? fn(target, value) : fn(target)
        } catch (e) {
          return finish(e ?? new codes.LINEFY_ERR_HOOK_FALSY_REJECTION(kind))
        }
        if (isThenable(r)) {
          r.then(onResolve, onReject)
          return
        }
        if (thread && r !== undefined) value = r as V
      }
      finish(null)
    }

    function onResolve (v: unknown): void { next(null, v) }
    function onReject (e: unknown): void { finish(e || new codes.LINEFY_ERR_HOOK_FALSY_REJECTION(kind)) }
  }
}

export const runHooks = runner('request', false, false)
export const runOnSendHooks = runner('onSend', true, true)
export const runOnErrorHooks = runner('onError', true, false)
