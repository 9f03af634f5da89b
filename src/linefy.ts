import Avvio from 'avvio'
import type { Duplex } from 'node:stream'
import { Connection } from './connection.js'
import { Context, type ErrorMapper } from './context.js'
import { codes, defaultErrorMapper } from './errors.js'
import type { Framing } from './framing.js'
import { Gate } from './gate.js'
import { Hooks, hookNames, requestHookNames, connectionHookNames, runHooks, type AnyHook } from './hooks.js'
import { inject } from './inject.js'
import type { LinefyInstance, LinefyOptions, MethodOptions } from './instance.js'
import { listen, type ListenOptions } from './listen.js'
import { createLogger, flushLogger } from './logger.js'
import { runHandler } from './pipeline.js'
import { stopAccepting } from './transport.js'
import { Phase, type AppHook, type ResolvedOptions, type State } from './state.js'
import {
  kAvvioClose, kAvvioReady, kErrorMapper, kFraming, kHooks, kPluginName, kPrefix, kSkipOverride, kState
} from './symbols.js'
import { ndjsonFraming } from '../plugins/ndjson.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Internal = LinefyInstance & Record<string | symbol, any> & {
  [kState]: State
  [kHooks]: Hooks
  [kPrefix]: string
  [kErrorMapper]: ErrorMapper
  [kFraming]: Framing
}

function positiveInt (opts: LinefyOptions, name: keyof LinefyOptions, fallback: number, min = 1): number {
  const v = opts[name]
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new codes.LINEFY_ERR_INVALID_OPTION(name, `must be an integer >= ${min}, got ${String(v)}`)
  }
  return v
}

function resolveOptions (opts: LinefyOptions): ResolvedOptions {
  const compat = opts.compat ?? 'spec'
  if (compat !== 'spec' && compat !== 'seed') throw new codes.LINEFY_ERR_INVALID_OPTION('compat', `must be 'spec' or 'seed', got ${String(compat)}`)
  const asciiOnly = opts.asciiOnly ?? compat === 'seed'
  if (typeof asciiOnly !== 'boolean') throw new codes.LINEFY_ERR_INVALID_OPTION('asciiOnly', `must be true or false, got ${String(asciiOnly)}`)
  return {
    compat,
    asciiOnly,
    concurrency: positiveInt(opts, 'concurrency', 64),
    maxQueue: positiveInt(opts, 'maxQueue', 4096, 0),
    perConnection: positiveInt(opts, 'perConnection', 1),
    maxLineBytes: positiveInt(opts, 'maxLineBytes', 1024 * 1024),
    maxBatch: positiveInt(opts, 'maxBatch', 1000),
    maxBacklog: positiveInt(opts, 'maxBacklog', 256),
    closeGraceMs: positiveInt(opts, 'closeGraceMs', 10_000, 0)
  }
}

/** Encapsulation, as Fastify does it: a plugin gets a child of its parent's context. */
function override (old: Internal, fn: { [kSkipOverride]?: boolean, name?: string }, opts: { prefix?: string }): Internal {
  if (fn[kSkipOverride] === true) return old
  const child = Object.create(old) as Internal
  child[kHooks] = old[kHooks].clone()
  child[kPrefix] = old[kPrefix] + (typeof opts.prefix === 'string' ? opts.prefix : '')
  child[kPluginName] = fn.name
  return child
}

function compile (state: State): void {
  for (const def of state.methods.values()) state.contexts.set(def.name, new Context(def))
  // close() may have begun while plugins loaded: it must stay begun
  if (state.phase === Phase.Loading) state.phase = Phase.Booted
}

function runAppHook (hook: AppHook): Promise<void> {
  return new Promise((resolve, reject) => {
    const { fn, instance } = hook
    if (fn.length >= 2) {
      fn.call(instance, instance, (err?: unknown) => err ? reject(err) : resolve())
      return
    }
    Promise.resolve(fn.call(instance, instance)).then(() => resolve(), reject)
  })
}

/** Waits for every connection to end; past the grace period aborts what still runs. */
function drain (state: State): Promise<void> {
  return new Promise((resolve) => {
    let expireTimer: NodeJS.Timeout | null = null
    let killTimer: NodeJS.Timeout | null = null
    const check = (): void => {
      if (state.connections.size !== 0) return
      state.onConnectionClosed = null
      if (expireTimer !== null) clearTimeout(expireTimer)
      if (killTimer !== null) clearTimeout(killTimer)
      resolve()
    }
    state.onConnectionClosed = check
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

const proto = {
  decorate (this: Internal, name: string | symbol, value: unknown) {
    if (name in this) throw new codes.LINEFY_ERR_DEC_ALREADY_PRESENT(String(name))
    this[name] = value
    return this
  },

  hasDecorator (this: Internal, name: string | symbol) {
    return name in this
  },

  addHook (this: Internal, name: string, fn: AnyHook) {
    if (typeof fn !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`${name} hook`, typeof fn)
    const state = this[kState]
    if ((requestHookNames as readonly string[]).includes(name) || (connectionHookNames as readonly string[]).includes(name)) {
      if (state.phase !== Phase.Loading) throw new codes.LINEFY_ERR_INSTANCE_STARTED(`add a ${name} hook`)
      this[kHooks][name as 'onRequest'].push(fn)
    } else if (name === 'onReady' || name === 'preClose') {
      state[name].push({ fn, instance: this })
    } else if (name === 'onClose') {
      const instance = this
      this.onClose(function (_: unknown, done: () => void) {
        runAppHook({ fn, instance }).then(done, (err) => {
          state.log.error({ err }, 'onClose hook failed')
          done()
        })
      })
    } else {
      throw new codes.LINEFY_ERR_HOOK_INVALID_TYPE(name, hookNames.join(', '))
    }
    return this
  },

  method (this: Internal, name: string, a: MethodOptions | AnyHook, b?: AnyHook) {
    const state = this[kState]
    const handler = typeof a === 'function' ? a : b
    const opts = typeof a === 'function' ? {} : (a ?? {})
    if (typeof handler !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`handler of method '${name}'`, typeof handler)
    if (state.phase !== Phase.Loading) throw new codes.LINEFY_ERR_INSTANCE_STARTED(`add method '${name}'`)
    if (opts.timeout !== undefined && (!Number.isInteger(opts.timeout) || opts.timeout < 0)) {
      throw new codes.LINEFY_ERR_INVALID_OPTION('timeout', `of method '${name}' must be a whole number of milliseconds, got ${String(opts.timeout)}`)
    }
    const full = this[kPrefix] + name
    if (state.methods.has(full)) throw new codes.LINEFY_ERR_METHOD_DUPLICATE(full)
    state.methods.set(full, { name: full, schema: opts.schema, timeout: opts.timeout, handler, instance: this })
    return this
  },

  control (this: Internal, type: string, handler: AnyHook) {
    const state = this[kState]
    if (typeof handler !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`handler of control type '${type}'`, typeof handler)
    if (state.controls.has(type)) throw new codes.LINEFY_ERR_CONTROL_DUPLICATE(type)
    state.controls.set(type, handler)
    return this
  },

  setErrorMapper (this: Internal, fn: ErrorMapper) {
    if (typeof fn !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER('error mapper', typeof fn)
    this[kErrorMapper] = fn
    return this
  },

  setFraming (this: Internal, framing: Framing) {
    this[kFraming] = framing
    return this
  },

  serve (this: Internal, stream: Duplex) {
    const state = this[kState]
    const hooks = this[kHooks]
    const conn = new Connection(state, stream, this[kFraming], hooks.onDisconnect.slice(), null)
    if (state.phase >= Phase.Closing) {
      conn.beginClose()
    } else if (hooks.onConnection.length > 0) {
      runHooks(hooks.onConnection.slice(), conn, undefined, afterOnConnection)
    } else {
      conn.start()
    }
    return conn
  },

  ready (this: Internal) {
    const state = this[kState]
    if (state.readyPromise === null) {
      state.readyPromise = (async () => {
        await this[kAvvioReady]()
        for (const hook of state.onReady) await runAppHook(hook)
        if (state.phase !== Phase.Booted) return
        state.phase = Phase.Ready
        for (const start of state.transports) await start()
      })()
    }
    return state.readyPromise.then(() => this)
  },

  close (this: Internal) {
    const state = this[kState]
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
      await this[kAvvioClose]()
      state.phase = Phase.Closed
      await flushLogger(state.log)
    })()
    return state.closePromise
  },

  listen (this: Internal, opts?: ListenOptions) {
    return listen(this, opts)
  },

  addresses (this: Internal) {
    return this[kState].addresses.slice()
  },

  inject (this: Internal, input: object | Array<string | object>) {
    return inject(this, input)
  }
}

function afterOnConnection (err: unknown, conn: Connection): void {
  if (err !== null) {
    conn.log.warn({ err }, 'connection refused by an onConnection hook')
    conn.destroy()
    return
  }
  conn.start()
}

/** Creates a linefy instance. */
export function linefy (options: LinefyOptions = {}): LinefyInstance {
  const opts = resolveOptions(options)
  const log = createLogger(options.logger)
  const activity = { lastActivity: Date.now(), connections: 0, inFlight: 0, queued: 0 }
  const state: State = {
    opts,
    log,
    methods: new Map(),
    contexts: new Map(),
    controls: new Map(),
    activity,
    gate: new Gate(opts.concurrency, opts.maxQueue, activity, runHandler),
    connections: new Set(),
    onReady: [],
    preClose: [],
    transports: [],
    addresses: [],
    servers: new Set(),
    phase: Phase.Loading,
    readyPromise: null,
    closePromise: null,
    nextConnectionId: 1,
    onConnectionClosed: null
  }
  const app = Object.create(proto) as Internal
  app[kState] = state
  app[kHooks] = new Hooks()
  app[kPrefix] = ''
  app[kErrorMapper] = defaultErrorMapper
  app[kFraming] = ndjsonFraming
  Object.defineProperty(app, 'log', { value: log, enumerable: true })
  Object.defineProperty(app, 'activity', { value: activity, enumerable: true })

  const avvio = Avvio(app, {
    autostart: false,
    timeout: options.pluginTimeout ?? 10_000,
    expose: { use: 'register', ready: kAvvioReady as unknown as string, close: kAvvioClose as unknown as string }
  })
  avvio.override = override as never
  avvio.on('preReady', () => compile(state))
  return app
}
