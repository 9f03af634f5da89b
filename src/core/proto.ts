import type { Duplex } from 'node:stream'
import { LineConnection } from '../connection/connection.js'
import type { Connection } from '../connection/types.js'
import { inject } from '../connection/inject.js'
import type { Framing } from '../framing/framing.js'
import type { GateFactory } from '../gate/gate.js'
import { injectHttp } from '../http/inject.js'
import type { InjectHttpOptions, InjectHttpResponse } from '../http/types.js'
import { bind, connectionHookNames, hookNames, requestHookNames, runOnConnectionHooks, type AnyHook, type BoundHooks } from '../request/hooks.js'
import { routerMethods, type ControlHandler, type Router } from '../router/router.js'
import { listen } from '../transport/listen.js'
import { close, ready, runAppHook } from './boot.js'
import { codes, fromAvvio, type ErrorMapper } from './errors.js'
import type { LinefyInstance, ListenOptions, MethodOptions } from './instance.js'
import type { InternalInstance } from './internal.js'
import { Phase } from './state.js'
import { kErrorMapper, kFraming, kHooks, kPrefix, kState } from './symbols.js'

export const kAvvioUse = Symbol('linefy.avvioUse')

type Self = InternalInstance & { [kAvvioUse]: (fn: unknown, opts: unknown) => void }

/** Setting a core piece is for set-up time: once ready() has bound it, a new one would be ignored. */
function beforeReady (app: InternalInstance, what: string): void {
  if (app[kState].phase !== Phase.Loading) throw new codes.LINEFY_ERR_INSTANCE_STARTED(what)
}

function checkRouter (r: unknown): asserts r is Router {
  const missing = routerMethods.find((m) => typeof (r as Record<string, unknown> | null)?.[m] !== 'function')
  if (missing !== undefined) throw new codes.LINEFY_ERR_INVALID_ROUTER(missing)
}

/** The instance's prototype, as a table of contents: every method of a linefy instance is one line here. */
export const proto = {
  register, decorate, hasDecorator, addHook, method, control, methods,
  setErrorMapper, setFraming, setRouter, setGate,
  serve, ready: readyApp, close: closeApp, listen: listenApp, addresses, inject: injectApp, injectHttp: injectHttpApp
}

function register (this: Self, fn: unknown, opts?: unknown): LinefyInstance {
  try {
    this[kAvvioUse](fn, opts)
  } catch (err) {
    throw fromAvvio(err)
  }
  return this
}

function decorate (this: InternalInstance, name: string | symbol, value: unknown): LinefyInstance {
  if (name in this) throw new codes.LINEFY_ERR_DEC_ALREADY_PRESENT(String(name))
  this[name] = value
  return this
}

function hasDecorator (this: InternalInstance, name: string | symbol): boolean {
  return name in this
}

function addHook (this: InternalInstance, name: string, fn: AnyHook): LinefyInstance {
  if (typeof fn !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`${name} hook`, typeof fn)
  const state = this[kState]
  if ((requestHookNames as readonly string[]).includes(name) || (connectionHookNames as readonly string[]).includes(name)) {
    beforeReady(this, `add a ${name} hook`)
    this[kHooks][name as 'onRequest'].push(fn)
  } else if (name === 'onReady' || name === 'preClose') {
    state[name].push({ fn, instance: this })
  } else if (name === 'onClose') {
    const instance = this
    ;(this as unknown as { onClose: (fn: (_: unknown, done: () => void) => void) => void }).onClose(function (_, done) {
      runAppHook({ fn, instance }).then(done, (err) => {
        state.log.error({ err }, 'onClose hook failed')
        done()
      })
    })
  } else {
    throw new codes.LINEFY_ERR_HOOK_INVALID_TYPE(name, hookNames.join(', '))
  }
  return this
}

function method (this: InternalInstance, name: string, a: MethodOptions | AnyHook, b?: AnyHook): LinefyInstance {
  const state = this[kState]
  const handler = typeof a === 'function' ? a : b
  const opts = typeof a === 'function' ? {} : (a ?? {})
  if (typeof handler !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`handler of method '${name}'`, typeof handler)
  beforeReady(this, `add method '${name}'`)
  if (opts.timeout !== undefined && (!Number.isInteger(opts.timeout) || opts.timeout < 0)) {
    throw new codes.LINEFY_ERR_INVALID_OPTION('timeout', `of method '${name}' must be a whole number of milliseconds, got ${String(opts.timeout)}`)
  }
  for (const key of ['summary', 'description'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'string') throw new codes.LINEFY_ERR_INVALID_OPTION(key, `of method '${name}' must be a string, got ${typeof opts[key]}`)
  }
  if (opts.examples !== undefined && (!Array.isArray(opts.examples) || !opts.examples.every((e) => typeof e?.name === 'string' && e.name !== ''))) {
    throw new codes.LINEFY_ERR_INVALID_OPTION('examples', `of method '${name}' must be an array of { name, params, result } with a non-empty name`)
  }
  const full = this[kPrefix] + name
  if (state.methodNames.has(full)) throw new codes.LINEFY_ERR_METHOD_DUPLICATE(full)
  state.methodNames.add(full)
  if (opts.connectionCompat !== undefined && opts.connectionCompat !== 'spec' && opts.connectionCompat !== 'seed') {
    throw new codes.LINEFY_ERR_INVALID_OPTION('connectionCompat', `of method '${name}' must be 'spec' or 'seed', got ${String(opts.connectionCompat)}`)
  }
  if (opts.gated !== undefined && typeof opts.gated !== 'boolean') {
    throw new codes.LINEFY_ERR_INVALID_OPTION('gated', `of method '${name}' must be true or false, got ${String(opts.gated)}`)
  }
  const { schema, timeout, connectionCompat, summary, description, examples, gated, mcp } = opts
  state.router.addMethod({ name: full, schema, timeout, connectionCompat, summary, description, examples, gated, mcp, handler, instance: this })
  return this
}

function control (this: InternalInstance, type: string, handler: ControlHandler): LinefyInstance {
  const state = this[kState]
  if (typeof handler !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`handler of control type '${type}'`, typeof handler)
  beforeReady(this, `add control type '${type}'`)
  if (state.controlTypes.has(type)) throw new codes.LINEFY_ERR_CONTROL_DUPLICATE(type)
  state.controlTypes.add(type)
  state.router.addControl({ type, handler, instance: this })
  return this
}

function methods (this: InternalInstance): ReturnType<LinefyInstance['methods']> {
  return Array.from(this[kState].router.methods(), ({ handler, instance, ...info }) => info)
}

function setErrorMapper (this: InternalInstance, fn: ErrorMapper): LinefyInstance {
  if (typeof fn !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER('error mapper', typeof fn)
  beforeReady(this, 'set an error mapper')
  this[kErrorMapper] = fn
  return this
}

function setFraming (this: InternalInstance, framing: Framing): LinefyInstance {
  if (framing === null || typeof framing !== 'object' || typeof framing.decoder !== 'function' || typeof framing.encode !== 'function') {
    throw new codes.LINEFY_ERR_INVALID_OPTION('framing', 'must have encode() and decoder(): see plugins/ndjson.ts')
  }
  beforeReady(this, 'set a framing')
  this[kFraming] = framing
  return this
}

function setRouter (this: InternalInstance, router: Router): LinefyInstance {
  checkRouter(router)
  beforeReady(this, 'set a router')
  const state = this[kState]
  const old = state.router
  // what was registered before the swap moves over, in its order
  if (old !== undefined && old !== router) {
    for (const def of old.methods()) router.addMethod(def)
    for (const def of old.controls()) router.addControl(def)
  }
  state.router = router
  return this
}

function setGate (this: InternalInstance, factory: GateFactory): LinefyInstance {
  if (typeof factory !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER('gate factory', typeof factory)
  beforeReady(this, 'set a gate')
  this[kState].gate = factory
  return this
}

function serve (this: InternalInstance, stream: Duplex): Connection {
  const state = this[kState]
  const hooks = this[kHooks]
  const conn = new LineConnection(state, stream, this[kFraming], bind(hooks.onDisconnect, 2), null)
  if (state.phase >= Phase.Closing) {
    conn.beginClose()
  } else if (hooks.onConnection.length > 0) {
    runOnConnectionHooks(bind(hooks.onConnection, 2) as BoundHooks, conn, undefined, afterOnConnection)
  } else {
    conn.start()
  }
  return conn
}

function afterOnConnection (err: unknown, conn: LineConnection): void {
  if (err !== null) {
    conn.log.warn({ err }, 'connection refused by an onConnection hook')
    conn.destroy()
    return
  }
  conn.start()
}

function readyApp (this: InternalInstance): Promise<LinefyInstance> {
  return ready(this).then(() => this)
}

function closeApp (this: InternalInstance): Promise<void> {
  return close(this)
}

function listenApp (this: InternalInstance, opts?: ListenOptions): Promise<LinefyInstance> {
  return listen(this, opts)
}

function addresses (this: InternalInstance): ReturnType<LinefyInstance['addresses']> {
  return this[kState].addresses.slice()
}

function injectHttpApp (this: InternalInstance, options: InjectHttpOptions | string): Promise<InjectHttpResponse> {
  return injectHttp(this, options)
}

function injectApp (this: InternalInstance, input: object | Array<string | object>): ReturnType<typeof inject> {
  return inject(this, input)
}
