import type { Static, TSchema, TUnknown } from '@sinclair/typebox'
import type { AddressInfo } from 'node:net'
import type { Duplex, Readable, Writable } from 'node:stream'
import type { Logger } from 'pino'
import type { Connection } from '../connection/types.js'
import type { Framing } from '../framing/framing.js'
import type { GateFactory } from '../gate/gate.js'
import type { MethodInfo, MethodSettings } from '../request/context.js'
import type { Request } from '../request/request.js'
import type { ControlHandler, Router } from '../router/router.js'
import type { Activity } from './activity.js'
import type { WithMethod } from './api.js'
import type { ErrorMapper } from './errors.js'
import type { LoggerOption } from './logger.js'
import type { Compat } from './options.js'
import type { HttpOptions, InjectHttpOptions, InjectHttpResponse } from '../http/types.js'

export type PluginFn<O = Record<string, unknown>> = (app: LinefyInstance, opts: O) => Promise<void> | void

export interface ListenOptions {
  /** A unix socket file; socket activation takes its place when it applies. */
  path?: string
  /** Permissions of the socket file (default 0o600). */
  mode?: number
  /** An inherited listening fd. */
  fd?: number
  /** Serve the activated fds of this LISTEN_FDNAMES name only. */
  name?: string
  /** One connection over stdin/stdout. */
  stdio?: boolean
  input?: Readable
  output?: Writable
  /** TCP on 127.0.0.1 unless host says otherwise. */
  host?: string
  port?: number
  /** JSON-RPC over HTTP: `{ path }` for a unix socket file, `{ port, host }` for TCP, plus the HTTP options. */
  http?: HttpOptions
}

export interface LinefyOptions {
  /** false (default) | true | pino options | a pino instance. Logs go to stderr. */
  logger?: LoggerOption
  /** 'spec' (default): full JSON-RPC 2.0. 'seed': the Python daemon's wire behaviour. */
  compat?: Compat
  /** Write every reply as pure ASCII JSON, as Python's json.dumps does (default: on in 'seed', off in 'spec'). */
  asciiOnly?: boolean
  /** Handlers running at once across the instance (default 64). */
  concurrency?: number
  /** Requests waiting for a slot before -32004 (default 4096). */
  maxQueue?: number
  /** Requests one connection may have running (default 1: replies keep the order of requests). */
  perConnection?: number
  /** Longest accepted line in bytes (default 1 MiB). */
  maxLineBytes?: number
  /** Longest accepted batch (default 1000). */
  maxBatch?: number
  /** Read lines waiting to start on one connection before reading pauses (default 256). */
  maxBacklog?: number
  /** How long close() lets in-flight requests finish (default 10 s). */
  closeGraceMs?: number
  /** How long a plugin may take to load (default 10 s). */
  pluginTimeout?: number
  /** The router (default: a JsonRpcRouter, plugins/router.ts). */
  router?: Router
  /** Builds the concurrency gate at ready() (default: fastqGate, plugins/gate.ts). */
  gate?: GateFactory
  /**
   * Check every result against its method's result schema and answer -32603
   * naming the failing path when it does not match (default false: a result
   * schema then costs nothing at run time). For tests and development.
   */
  validateResults?: boolean
}

export interface MethodOptions<P extends TSchema = TUnknown, R extends TSchema = TUnknown> extends MethodSettings {
  /** `params` checks and types `req.params`; `result` types what the handler returns (checked at run time with `validateResults`). */
  schema?: { params?: P, result?: R }
}

export type MethodHandler<P = unknown, R = unknown> = (this: LinefyInstance, req: Request<P>) => R | Promise<R>
// Callback-style hooks take one more parameter; a hook may ignore it and return a promise instead.
export type HookDoneFn = (err?: unknown) => void
export type RequestHook = (req: Request, done: HookDoneFn) => unknown
export type OnSendHook = (req: Request, result: unknown, done: (err?: unknown, result?: unknown) => void) => unknown
export type OnErrorHook = (req: Request, err: unknown, done: HookDoneFn) => unknown
export type ConnectionHook = (conn: Connection, done: HookDoneFn) => unknown
export type ApplicationHook = (this: LinefyInstance, app: LinefyInstance, done: HookDoneFn) => unknown

/** A JSON-RPC reply as inject() returns it. */
export interface Reply {
  jsonrpc: '2.0'
  id: string | number | null
  result?: unknown
  error?: { code: number, message: string, data?: unknown }
  // control replies are plain objects
  [key: string]: unknown
}

export type RegisterOptions<O> = O & { prefix?: string }

export interface LinefyInstance {
  readonly log: Logger
  /** Live counters: last activity, open connections, running and queued requests. */
  readonly activity: Readonly<Activity>

  register<O = Record<string, unknown>> (plugin: PluginFn<O> | { default: PluginFn<O> }, opts?: RegisterOptions<O>): LinefyInstance & PromiseLike<undefined>
  after (): Promise<void>
  after (fn: (err: Error | null) => void): LinefyInstance
  ready (): Promise<LinefyInstance>
  close (): Promise<void>
  listen (opts?: ListenOptions): Promise<LinefyInstance>
  /** Where the transports listen: socket paths, TCP addresses, `fd:N`, `stdio`. */
  addresses (): Array<string | AddressInfo>

  decorate<T> (this: T, name: string | symbol, value: unknown): T
  hasDecorator (name: string | symbol): boolean

  addHook<T> (this: T, name: 'onRequest' | 'preValidation' | 'preHandler' | 'onResponse' | 'onTimeout', fn: RequestHook): T
  addHook<T> (this: T, name: 'onSend', fn: OnSendHook): T
  addHook<T> (this: T, name: 'onError', fn: OnErrorHook): T
  addHook<T> (this: T, name: 'onConnection' | 'onDisconnect', fn: ConnectionHook): T
  addHook<T> (this: T, name: 'onReady' | 'preClose' | 'onClose', fn: ApplicationHook): T

  /** Adds a method; the instance type returned carries it, for `MethodsOf<typeof app>` and typed clients. */
  method<T, N extends string, P extends TSchema = TUnknown, R extends TSchema = TUnknown> (this: T, name: N, opts: MethodOptions<P, R>, handler: MethodHandler<Static<P>, Static<R>>): T & WithMethod<N, Static<P>, Static<R>>
  method<T, N extends string> (this: T, name: N, handler: MethodHandler<unknown>): T & WithMethod<N, unknown, unknown>
  control<T> (this: T, type: string, handler: ControlHandler): T

  /** Maps failures of this context's methods and controls (and its children's) to wire errors. Before ready() only. */
  setErrorMapper<T> (this: T, fn: ErrorMapper): T
  /** The framing of connections opened from this context. Before ready() only. */
  setFraming<T> (this: T, framing: Framing): T
  /** Replaces the instance's router; methods and controls registered so far move to it. Before ready() only. */
  setRouter<T> (this: T, router: Router): T
  /** Replaces the instance's concurrency gate. Before ready() only. */
  setGate<T> (this: T, factory: GateFactory): T
  /** The methods registered so far, as the router holds them. */
  methods (): MethodInfo[]

  /** Serves one client over any duplex stream: the entry point of every transport. */
  serve (stream: Duplex): Connection

  inject (lines: Array<string | object>): Promise<Array<Reply | undefined>>
  inject (message: object): Promise<Reply | undefined>
  /** One HTTP request through the HTTP transport's handler, no socket (light-my-request; a string is a GET of that URL). */
  injectHttp (options: InjectHttpOptions | string): Promise<InjectHttpResponse>
}
