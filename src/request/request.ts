import type { Logger } from 'pino'
import type { Connection, Sink } from '../connection/types.js'
import {
  kAdmission, kChildren, kContext, kController, kGateSlot, kIdJson, kLog, kReason, kSink, kSlot, kStage, kTimer, kTracked
} from '../core/symbols.js'
import type { Context } from './context.js'

export type JsonRpcId = string | number | null

/**
 * Failing: fail() has begun (onError hooks may still be running). From there
 * on nothing may start the handler or answer the request another way.
 */
export enum Stage { Pending, Queued, Running, Failing, Done }

/** Where a request stands with the gate: the core's own count, whatever the gate does. */
export enum Admission { None, Waiting, Running }

/**
 * One JSON-RPC request travelling the pipeline. The AbortController and the
 * child logger are created only when a handler reads `signal` or `log`, so a
 * request that needs neither allocates neither.
 */
export class Request<P = unknown> {
  readonly id: JsonRpcId | undefined
  readonly method: string
  params: P
  readonly connection: Connection;

  [kContext]: Context;
  [kSink]: Sink;
  [kSlot]: number;
  [kIdJson]: string;
  [kController]: AbortController | null;
  [kReason]: unknown;
  [kTimer]: NodeJS.Timeout | null;
  [kStage]: Stage;
  [kAdmission]: Admission;
  [kGateSlot]: unknown;
  [kLog]: Logger | null;
  [kChildren]: unknown[] | null;
  [kTracked]: boolean

  constructor (ctx: Context, connection: Connection, sink: Sink, slot: number, id: JsonRpcId | undefined, idJson: string, method: string, params: P) {
    this.id = id
    this.method = method
    this.params = params
    this.connection = connection
    this[kContext] = ctx
    this[kSink] = sink
    this[kSlot] = slot
    this[kIdJson] = idJson
    this[kController] = null
    this[kReason] = undefined
    this[kTimer] = null
    this[kStage] = Stage.Pending
    this[kAdmission] = Admission.None
    this[kGateSlot] = null
    this[kLog] = null
    this[kChildren] = null
    this[kTracked] = false
  }

  /** True for a notification: it runs, but nothing is written back. */
  get isNotification (): boolean {
    return this.id === undefined
  }

  /** Aborted on timeout, cancellation, client disconnect and the close() deadline. */
  get signal (): AbortSignal {
    let controller = this[kController]
    if (controller === null) {
      controller = this[kController] = new AbortController()
      if (this[kReason] !== undefined) controller.abort(this[kReason])
    }
    return controller.signal
  }

  /** A pino child logger bound to the connection id, request id and method. */
  get log (): Logger {
    let log = this[kLog]
    if (log === null) {
      log = this[kLog] = (this[kSink].options?.log ?? this.connection.log).child({ reqId: this.id, method: this.method })
    }
    return log
  }

  /** What the plugin that ran this request gave it besides params (conn.dispatch(): MCP's `_meta`). */
  get meta (): Readonly<Record<string, unknown>> | undefined {
    return this[kSink].options?.meta
  }

  /**
   * Reports progress to whoever asked for it (MCP: a tools/call with a
   * progressToken gets notifications/progress). False when nobody listens
   * or the request has already ended: nothing was sent.
   */
  progress (progress: number, total?: number, message?: string): boolean {
    const listener = this[kSink].options?.progress
    if (listener === undefined || this[kStage] >= Stage.Failing) return false
    listener(progress, total, message)
    return true
  }

  /** The plugin instance the method was registered on, with its decorators. */
  get server (): object {
    return this[kContext].instance
  }
}

export function abortRequest (req: Request, reason: unknown): void {
  if (req[kReason] !== undefined) return
  req[kReason] = reason
  const controller = req[kController]
  if (controller !== null) controller.abort(reason)
  const children = req[kChildren]
  if (children === null) return
  req[kChildren] = null
  for (const id of children) req.connection.cancel(id)
}

/**
 * A request dispatched on `parent`'s behalf is cancelled when the parent
 * ends early (cancelled, timed out, its client gone, shut down): at once if
 * it already has. Cheaper than a signal per parent, which is what a tool
 * call would otherwise need.
 */
export function adopt (parent: Request, id: unknown): void {
  if (parent[kReason] !== undefined) return parent.connection.cancel(id)
  const children = parent[kChildren]
  if (children === null) parent[kChildren] = [id]
  else children.push(id)
}

export function disown (parent: Request, id: unknown): void {
  const children = parent[kChildren]
  if (children === null) return
  const i = children.indexOf(id)
  if (i !== -1) children.splice(i, 1)
}
