import type { ConnectionHost } from '../connection/types.js'
import { stopAccepting } from '../transport/serve-net.js'
import { compile } from './compile.js'
import { fromAvvio } from './errors.js'
import type { InternalInstance } from './internal.js'
import { flushLogger } from './logger.js'
import { Phase, type AppHook, type State } from './state.js'
import { kAvvioClose, kAvvioReady, kState } from './symbols.js'

export function runAppHook (hook: AppHook): Promise<void> {
  return new Promise((resolve, reject) => {
    const { fn, instance } = hook
    if (fn.length >= 2) {
      fn.call(instance, instance, (err?: unknown) => err ? reject(err) : resolve())
      return
    }
    Promise.resolve(fn.call(instance, instance)).then(() => resolve(), reject)
  })
}

/**
 * Boots once: every plugin loads (avvio), the core pieces are bound
 * (compile()), onReady hooks run, then the transports start listening, so
 * no client reaches a half-booted daemon.
 */
export function ready (app: InternalInstance): Promise<unknown> {
  const state = app[kState]
  if (state.readyPromise === null) {
    state.readyPromise = (async () => {
      try {
        await app[kAvvioReady]()
      } catch (err) {
        throw fromAvvio(err)
      }
      compile(state)
      for (const hook of state.onReady) await runAppHook(hook)
      if (state.phase !== Phase.Booted) return
      state.phase = Phase.Ready
      for (const start of state.transports) await start()
    })()
  }
  return state.readyPromise
}

/** Stop accepting at once, drain what was read, run onClose hooks, flush the logs. */
export function close (app: InternalInstance): Promise<void> {
  const state = app[kState]
  if (state.closePromise !== null) return state.closePromise
  const readyPromise = state.readyPromise
  state.phase = Phase.Closing
  stopAccepting(state)
  state.closePromise = (async () => {
    if (readyPromise !== null) {
      await readyPromise.catch(() => {})
      // a transport may have bound while ready() was still running
      stopAccepting(state)
      for (const hook of state.preClose) {
        await runAppHook(hook).catch((err) => state.log.error({ err }, 'preClose hook failed'))
      }
    }
    await drain(state)
    await app[kAvvioClose]()
    state.phase = Phase.Closed
    await flushLogger(state.log)
  })()
  return state.closePromise
}

/** Waits for every connection to end; past the grace period aborts what still runs. */
function drain (state: State): Promise<void> {
  return new Promise((resolve) => {
    let expireTimer: NodeJS.Timeout | null = null
    let killTimer: NodeJS.Timeout | null = null
    const host: ConnectionHost = state
    const check = (): void => {
      if (state.connections.size !== 0) return
      host.onConnectionClosed = null
      if (expireTimer !== null) clearTimeout(expireTimer)
      if (killTimer !== null) clearTimeout(killTimer)
      resolve()
    }
    host.onConnectionClosed = check
    for (const conn of [...state.connections]) conn.beginClose()
    expireTimer = setTimeout(() => {
      state.log.warn({ connections: state.connections.size }, 'close grace period over: aborting in-flight requests')
      for (const conn of [...state.connections]) conn.expire()
      killTimer = setTimeout(() => {
        for (const conn of [...state.connections]) conn.destroy()
      }, Math.min(1000, state.opts.closeGraceMs))
    }, state.opts.closeGraceMs)
    check()
  })
}
