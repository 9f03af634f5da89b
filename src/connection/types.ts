import type { Logger } from 'pino'
import type { Activity } from '../core/activity.js'
import type { LinefyError } from '../core/errors.js'
import type { Compat } from '../core/options.js'
import type { RequestOptions } from './outgoing.js'

/**
 * A client connection as plugins, hooks, handlers and routers see it. The
 * implementation is LineConnection (connection.ts); a transport opens one
 * through app.serve().
 */
export interface Connection {
  readonly id: number
  /** A pino child logger bound to the connection id. */
  readonly log: Logger
  /** How many frames have been read so far. */
  readonly framesRead: number
  /** The wire mode of this connection: the instance's, until a method opened with `connectionCompat` is its first call. */
  compat: Compat
  /**
   * Whether a cancelled request still gets its -32800 reply (JSON-RPC, LSP:
   * true, the default) or no reply at all, as MCP asks (its plugin sets false).
   */
  answerCancelled: boolean
  /**
   * How many of its requests may run at once: the instance's perConnection
   * (default 1: replies in request order) until a plugin raises it for a
   * protocol whose replies are matched by id (an MCP session: a long tool
   * call must not hold up a ping).
   */
  perConnection: number
  /** Frames read and not yet answered. */
  readonly pending: number
  readonly closing: boolean
  readonly destroyed: boolean
  /** Pushes a JSON-RPC notification to the client. False once the connection is ending, and for inject(), which has no client to push to. */
  notify (method: string, params?: unknown): boolean
  /** Sends the client a request of the server's own; resolves with its result, rejects with an RpcError (-32002 once the client is gone). */
  request (method: string, params?: unknown, opts?: RequestOptions): Promise<unknown>
  /**
   * Runs a message through this connection's router as if read, outside the
   * connection's order (the caller holds its turn), and resolves with its
   * reply line: undefined for a notification, or for a cancelled request when
   * answerCancelled is false. The request sees `opts` (req.meta,
   * req.progress(), req.log's parent); it is cancelled with `opts.parent`.
   */
  dispatch (msg: unknown, opts?: DispatchOptions): Promise<string | undefined>
  /** dispatch() without the wait for a request that ended at once (a synchronous handler, a slot free): its line then, else the promise of it. */
  dispatchNow (msg: unknown, opts?: DispatchOptions): string | undefined | Promise<string | undefined>
  /** A reply read from the client: true when it answered one of the server's requests. */
  answer (id: unknown, error: { code?: unknown, message?: unknown, data?: unknown } | undefined, result: unknown): boolean
  /** Cancels a running or queued request by id; a line not yet started is answered -32800 in its turn (see answerCancelled). */
  cancel (id: unknown): void
  /** A request started on this connection, until it ends: what cancel(), the close deadline and a disconnect reach. */
  track (req: InFlight): void
  untrack (req: InFlight): void
  /** Feeds bytes as if read from the client. */
  push (chunk: Buffer): void
  /** close() began: read nothing more, run what was read, end when idle. */
  beginClose (): void
  /** The close() grace period is over: abort what still runs, refuse what has not started. */
  expire (): void
  destroy (): void
}

/** Where a finished message's reply line goes: its connection, its batch, or the caller of conn.dispatch(). */
export interface Sink {
  complete (slot: number, line: string | undefined): void
  /** Set by conn.dispatch(): what its caller gives the requests it starts. */
  readonly options?: DispatchOptions
}

/** What the caller of conn.dispatch() gives the request it runs. */
export interface DispatchOptions {
  /** The request's req.meta (MCP: the `_meta` of the tools/call that runs it). */
  meta?: Readonly<Record<string, unknown>>
  /** Receives the handler's req.progress() calls; without it req.progress() sends nothing. */
  progress?: (progress: number, total?: number, message?: string) => void
  /** The parent of the request's req.log (default: the connection's logger). */
  log?: Logger
  /** The request this one runs for: when that one ends early (cancelled, timed out, its client gone), this one is cancelled, as a cancel notice for its id would. */
  parent?: InFlight
}

/** What a connection knows of a request it started: enough to cancel it, expire it, or drop it. */
export interface InFlight {
  readonly id: string | number | null | undefined
}

/** The router's two entry points, as a connection calls them for every frame. */
export interface Route {
  intercept (msg: unknown, conn: Connection): boolean
  dispatch (msg: unknown, conn: Connection, sink: Sink, slot: number): void
}

/** The instance as a connection needs it (the core's State is one). */
export interface ConnectionHost {
  readonly opts: { readonly maxLineBytes: number, readonly perConnection: number, readonly maxBacklog: number, readonly compat: Compat, readonly asciiOnly: boolean }
  readonly log: Logger
  readonly activity: Activity
  readonly connections: Set<Connection>
  readonly router: Route
  nextConnectionId: number
  /** Set while close() waits for connections to end. */
  onConnectionClosed: (() => void) | null
  /** Aborts a request's signal and answers it with `err` (cancel, close deadline). */
  abort (req: InFlight, err: LinefyError): void
  /** The client is gone: abort the request, release its slot, write nothing. */
  drop (req: InFlight, err: LinefyError): void
}

/** Where inject() and other stream-less connections take their replies: by frame number, in the order they finish. */
export type Collector = (seq: number, line: string | undefined) => void
