import type { Connection, Sink } from '../src/connection/types.js'
import { codes, RpcCode } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'
import type { Context, MethodDefinition } from '../src/request/context.js'
import { startRequest } from '../src/request/handle-request.js'
import { codedLine, errorLine, invalidLine, jsonOfId } from '../src/request/reply.js'
import { runControl } from '../src/router/control.js'
import type { ControlContext, ControlDefinition, Router, RouterCore } from '../src/router/router.js'

const NOT_AN_OBJECT = 'request must be a JSON object'

interface Response {
  id?: unknown
  result?: unknown
  error?: { code?: unknown, message?: unknown, data?: unknown }
}

/**
 * The default router: routes a parsed message by its shape. An array is a
 * batch (spec mode), an object with `type` and no `jsonrpc` goes to the
 * control table, anything else must be a JSON-RPC envelope for the method
 * table. Cancel notices (`notifications/cancelled`, `$/cancelRequest`) are
 * taken as they are read, unless a method of that name is registered.
 */
export class JsonRpcRouter implements Router {
  protected readonly methodTable = new Map<string, MethodDefinition>()
  protected readonly controlTable = new Map<string, ControlDefinition>()
  protected readonly contexts = new Map<string, Context>()
  protected readonly controlContexts = new Map<string, ControlContext>()
  protected maxBatch = 0

  addMethod (def: MethodDefinition): void {
    this.methodTable.set(def.name, def)
  }

  addControl (def: ControlDefinition): void {
    this.controlTable.set(def.type, def)
  }

  methods (): Iterable<MethodDefinition> {
    return this.methodTable.values()
  }

  controls (): Iterable<ControlDefinition> {
    return this.controlTable.values()
  }

  ready (core: RouterCore): void {
    this.maxBatch = core.opts.maxBatch
    for (const def of this.methodTable.values()) this.contexts.set(def.name, core.compile(def))
    for (const def of this.controlTable.values()) this.controlContexts.set(def.type, core.compileControl(def))
  }

  intercept (msg: unknown, conn: Connection): boolean {
    // Stryker disable next-line ConditionalExpression: equivalent, a number, string or boolean has no jsonrpc either
    if (msg === null || typeof msg !== 'object') return false
    const m = msg as { jsonrpc?: unknown, method?: unknown, id?: unknown, params?: unknown }
    if (m.jsonrpc !== '2.0') return false
    const method = m.method
    if (method === undefined) return this.response(m as Response, conn)
    if (m.id !== undefined) return false
    if (method !== 'notifications/cancelled' && method !== '$/cancelRequest') return false
    // an invalid envelope is no cancel: it goes on to be answered -32600
    if (m.params !== undefined && (m.params === null || typeof m.params !== 'object')) return false
    if (this.contexts.has(method)) return false
    const p = m.params as { requestId?: unknown, id?: unknown } | undefined
    conn.cancel(method === '$/cancelRequest' ? p?.id : p?.requestId)
    return true
  }

  /**
   * A reply from the client to a request of the server's (conn.request):
   * taken as it is read, or a handler awaiting it on a busy connection would
   * wait forever behind itself. A reply to nothing asked is dropped (answering
   * it would only confuse the client), except on a seed connection, where
   * the Python server answered it -32600.
   */
  protected response (m: Response, conn: Connection): boolean {
    if (m.id === undefined || (m.result === undefined && m.error === undefined)) return false
    if (conn.answer(m.id, m.error, m.result)) return true
    if (conn.compat === 'seed') return false
    conn.log.warn({ id: m.id }, 'a reply to no request of ours: dropped')
    return true
  }

  dispatch (msg: unknown, conn: Connection, sink: Sink, slot: number): void {
    if (msg === null || typeof msg !== 'object') return sink.complete(slot, invalidLine(NOT_AN_OBJECT, 'null'))
    if (Array.isArray(msg)) {
      if (conn.compat === 'seed') return sink.complete(slot, invalidLine(NOT_AN_OBJECT, 'null'))
      return this.batch(msg, conn, sink, slot)
    }
    const m = msg as Record<string, unknown>
    if (m.jsonrpc === undefined && m.type !== undefined) return this.control(m, conn, sink, slot)
    this.request(m, conn, sink, slot)
  }

  /** One JSON-RPC envelope: checked, matched to a method, started. */
  protected request (m: Record<string, unknown>, conn: Connection, sink: Sink, slot: number): void {
    const id = m.id
    const idJson = jsonOfId(id)
    if (m.jsonrpc !== '2.0') return sink.complete(slot, invalidLine("jsonrpc must be '2.0'", idJson))
    if (conn.compat === 'seed') {
      if (id === undefined || id === null) return sink.complete(slot, invalidLine('id required and non-null', 'null'))
    } else if (id !== undefined && id !== null && idJson === 'null') {
      return sink.complete(slot, invalidLine('id must be a string, a number or null', 'null'))
    }
    const method = m.method
    if (typeof method !== 'string') return sink.complete(slot, invalidLine('method must be a string', idJson))
    let params = m.params
    if (params !== undefined && (params === null || typeof params !== 'object')) {
      return sink.complete(slot, invalidLine('params must be object or array', idJson))
    }
    // the Python server hands its dispatcher `req.get("params") or {}`: ported handlers index into a dict
    if (params === undefined && conn.compat === 'seed') params = {}
    const ctx = this.lookup(method)
    if (ctx === undefined) {
      if (id === undefined) return sink.complete(slot, undefined)
      return sink.complete(slot, errorLine(idJson, { code: RpcCode.METHOD_NOT_FOUND, message: `unknown method '${method}'` }))
    }
    if (ctx.connectionCompat !== undefined) conn.compat = ctx.connectionCompat
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, a notification's id JSON is never written
    startRequest(ctx, conn, sink, slot, id as string | number | null | undefined, id === undefined ? '' : idJson, method, params)
  }

  /** The context serving a method name; a router that matches patterns overrides this. */
  protected lookup (method: string): Context | undefined {
    return this.contexts.get(method)
  }

  protected control (m: Record<string, unknown>, conn: Connection, sink: Sink, slot: number): void {
    // Stryker disable next-line ConditionalExpression: equivalent, the table's keys are strings, so another type finds nothing either
    const ctl = typeof m.type === 'string' ? this.controlContexts.get(m.type) : undefined
    if (ctl === undefined) return sink.complete(slot, invalidLine(new codes.LINEFY_ERR_UNKNOWN_CONTROL(m.type).message, 'null'))
    runControl(ctl, m, conn, sink, slot)
  }

  protected batch (batch: unknown[], conn: Connection, sink: Sink, slot: number): void {
    if (batch.length === 0) return sink.complete(slot, invalidLine('batch must not be empty', 'null'))
    if (batch.length > this.maxBatch) {
      return sink.complete(slot, codedLine(new codes.LINEFY_ERR_BATCH_TOO_LARGE(batch.length, this.maxBatch)))
    }
    const b = new Batch(batch.length, sink, slot)
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]
      // inside a batch only JSON-RPC requests count: no nested batch, no control line
      if (m === null || typeof m !== 'object' || Array.isArray(m)) b.complete(i, invalidLine(NOT_AN_OBJECT, 'null'))
      else this.request(m as Record<string, unknown>, conn, b, i)
    }
  }
}

/** Gathers a batch's replies and answers the batch's own slot once every one is in. */
class Batch implements Sink {
  private readonly lines: Array<string | undefined>
  private remaining: number
  private readonly sink: Sink
  private readonly slot: number

  constructor (size: number, sink: Sink, slot: number) {
    // Stryker disable next-line ArrayDeclaration: equivalent, every slot is written before the array is read
    this.lines = new Array(size)
    this.remaining = size
    this.sink = sink
    this.slot = slot
  }

  complete (slot: number, line: string | undefined): void {
    this.lines[slot] = line
    if (--this.remaining !== 0) return
    const out = this.lines.filter((l) => l !== undefined)
    this.sink.complete(this.slot, out.length === 0 ? undefined : '[' + out.join(',') + ']')
  }
}

export interface RouterOptions {
  router: Router
}

/** Replaces the instance's router (one per instance, whichever plugin sets it); what was registered moves over. */
export default plugin<RouterOptions>(async function router (app, opts) {
  app.setRouter(opts.router)
}, { name: 'linefy-router' })
