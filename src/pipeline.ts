import { codes, defaultErrorMapper, LinefyError, RpcCode, type WireError } from './errors.js'
import { runHooks, runOnErrorHooks, runOnSendHooks } from './hooks.js'
import { abortRequest, Request, Stage, type JsonRpcId, type Sink } from './request.js'
import type { Connection } from './connection.js'
import type { State } from './state.js'
import { kContext, kIdJson, kSink, kSlot, kStage, kTimer } from './symbols.js'

const HEAD = '{"jsonrpc":"2.0","id":'

export function errorLine (idJson: string, err: WireError): string {
  let body: string
  try {
    body = JSON.stringify(err)
  } catch {
    body = JSON.stringify({ code: err.code, message: err.message })
  }
  return HEAD + idJson + ',"error":' + body + '}'
}

function invalid (message: string, idJson: string): string {
  return errorLine(idJson, { code: RpcCode.INVALID_REQUEST, message })
}

/** The id to echo in an error reply: only a valid one, else null. */
export function idJsonOf (msg: unknown): string {
  if (msg === null || typeof msg !== 'object') return 'null'
  return jsonOfId((msg as { id?: unknown }).id)
}

// a finite number's string form is already its JSON; 1e400 parses to Infinity, which is not JSON
function jsonOfId (id: unknown): string {
  if (typeof id === 'number') return Number.isFinite(id) ? '' + id : 'null'
  return typeof id === 'string' ? JSON.stringify(id) : 'null'
}

function isThenable (r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function'
}

/**
 * Routes one parsed message by shape: an array is a batch (spec mode), an
 * object with `type` and no `jsonrpc` goes to the control table, anything
 * else must be a JSON-RPC envelope.
 */
export function dispatch (state: State, conn: Connection, sink: Sink, slot: number, msg: unknown, inBatch: boolean): void {
  if (msg === null || typeof msg !== 'object') {
    return sink.complete(slot, invalid('request must be a JSON object', 'null'))
  }
  if (Array.isArray(msg)) {
    if (inBatch || state.opts.compat === 'seed') return sink.complete(slot, invalid('request must be a JSON object', 'null'))
    return dispatchBatch(state, conn, sink, slot, msg)
  }
  const m = msg as Record<string, unknown>
  if (m.jsonrpc === undefined && m.type !== undefined && !inBatch) return dispatchControl(state, conn, sink, slot, m)

  const id = m.id
  const idJson = jsonOfId(id)
  if (m.jsonrpc !== '2.0') return sink.complete(slot, invalid("jsonrpc must be '2.0'", idJson))
  if (state.opts.compat === 'seed') {
    if (id === undefined || id === null) return sink.complete(slot, invalid('id required and non-null', 'null'))
  } else if (id !== undefined && id !== null && idJson === 'null') {
    return sink.complete(slot, invalid('id must be a string, a number or null', 'null'))
  }
  const method = m.method
  if (typeof method !== 'string') return sink.complete(slot, invalid('method must be a string', idJson))
  let params = m.params
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    return sink.complete(slot, invalid('params must be object or array', idJson))
  }
  // the Python server hands its dispatcher `req.get("params") or {}`: ported handlers index into a dict
  if (params === undefined && state.opts.compat === 'seed') params = {}
  const ctx = state.contexts.get(method)
  if (ctx === undefined) {
    if (id === undefined) return sink.complete(slot, undefined)
    return sink.complete(slot, errorLine(idJson, { code: RpcCode.METHOD_NOT_FOUND, message: `unknown method '${method}'` }))
  }
  const req = new Request(ctx, conn, sink, slot, id as JsonRpcId | undefined, id === undefined ? '' : idJson, params)
  conn.track(req)
  start(req)
}

class Batch implements Sink {
  private readonly lines: Array<string | undefined>
  private remaining: number
  private readonly sink: Sink
  private readonly slot: number

  constructor (size: number, sink: Sink, slot: number) {
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

function dispatchBatch (state: State, conn: Connection, sink: Sink, slot: number, batch: unknown[]): void {
  if (batch.length === 0) return sink.complete(slot, invalid('batch must not be empty', 'null'))
  if (batch.length > state.opts.maxBatch) {
    const err = new codes.LINEFY_ERR_BATCH_TOO_LARGE(batch.length, state.opts.maxBatch)
    return sink.complete(slot, errorLine('null', { code: err.rpcCode, message: err.message }))
  }
  const b = new Batch(batch.length, sink, slot)
  for (let i = 0; i < batch.length; i++) dispatch(state, conn, b, i, batch[i], true)
}

function dispatchControl (state: State, conn: Connection, sink: Sink, slot: number, m: Record<string, unknown>): void {
  const handler = typeof m.type === 'string' ? state.controls.get(m.type) : undefined
  if (handler === undefined) {
    return sink.complete(slot, invalid(new codes.LINEFY_ERR_UNKNOWN_CONTROL(m.type).message, 'null'))
  }
  let r: unknown
  try {
    r = handler(m, conn)
  } catch (err) {
    return controlFailed(conn, sink, slot, err)
  }
  if (isThenable(r)) {
    r.then((v) => controlDone(conn, sink, slot, v), (err) => controlFailed(conn, sink, slot, err))
  } else {
    controlDone(conn, sink, slot, r)
  }
}

function controlDone (conn: Connection, sink: Sink, slot: number, value: unknown): void {
  if (value === undefined || value === null) return sink.complete(slot, undefined)
  let line: string
  try {
    line = JSON.stringify(value)
  } catch (err) {
    return controlFailed(conn, sink, slot, err)
  }
  sink.complete(slot, line)
}

function controlFailed (conn: Connection, sink: Sink, slot: number, err: unknown): void {
  conn.log.error({ err }, 'control handler failed')
  const message = err instanceof Error ? err.message : String(err)
  sink.complete(slot, JSON.stringify({ ok: false, reason: 'control_error', error: message.slice(0, 200) }))
}

function start (req: Request): void {
  const ctx = req[kContext]
  if (ctx.timeout > 0) req[kTimer] = setTimeout(onTimeout, ctx.timeout, req)
  if (ctx.onRequest !== null) runHooks(ctx.onRequest, req, undefined, afterOnRequest)
  else afterOnRequest(null, req)
}

function afterOnRequest (err: unknown, req: Request): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  const ctx = req[kContext]
  if (ctx.preValidation !== null) runHooks(ctx.preValidation, req, undefined, afterPreValidation)
  else afterPreValidation(null, req)
}

function afterPreValidation (err: unknown, req: Request): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  const ctx = req[kContext]
  const validator = ctx.validator
  if (validator !== null && !validator.Check(req.params)) {
    const first = validator.Errors(req.params).First()
    return fail(req, new codes.LINEFY_ERR_INVALID_PARAMS(first?.path || '/', first?.message))
  }
  if (ctx.preHandler !== null) runHooks(ctx.preHandler, req, undefined, afterPreHandler)
  else afterPreHandler(null, req)
}

function afterPreHandler (err: unknown, req: Request): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  const gate = req.connection.state.gate
  if (!gate.push(req)) fail(req, new codes.LINEFY_ERR_OVERLOADED(gate.maxQueue))
}

/** Started by the gate once a concurrency slot is free. */
export function runHandler (req: Request): void {
  // the gate may start a request a tick late, after it began failing
  if (req[kStage] !== Stage.Running) return
  const ctx = req[kContext]
  let r: unknown
  try {
    r = ctx.handler.call(ctx.instance, req)
  } catch (err) {
    return fail(req, err)
  }
  if (isThenable(r)) r.then((v) => succeed(req, v), (err) => fail(req, err))
  else succeed(req, r)
}

function succeed (req: Request, value: unknown): void {
  if (req[kStage] >= Stage.Failing) return
  const ctx = req[kContext]
  if (ctx.onSend !== null) runOnSendHooks(ctx.onSend, req, value, afterOnSend)
  else afterOnSend(null, req, value)
}

function afterOnSend (err: unknown, req: Request, value: unknown): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  if (req.id === undefined) return finish(req, undefined)
  let body: string | undefined
  try {
    body = JSON.stringify(value)
  } catch (e) {
    return fail(req, new codes.LINEFY_ERR_RESULT_NOT_SERIALIZABLE((e as Error).message))
  }
  finish(req, HEAD + req[kIdJson] + ',"result":' + (body === undefined ? 'null' : body) + '}')
}

/** Ends a request with an error: onError hooks observe it, the mapper shapes it. */
export function fail (req: Request, err: unknown): void {
  const stage = req[kStage]
  if (stage >= Stage.Failing) return
  if (stage === Stage.Queued) req.connection.state.gate.dequeued()
  req[kStage] = Stage.Failing
  const ctx = req[kContext]
  if (ctx.onError !== null) runOnErrorHooks(ctx.onError, req, err, afterOnError)
  else afterOnError(null, req, err)
}

function afterOnError (hookErr: unknown, req: Request, err: unknown): void {
  if (hookErr !== null) req.log.error({ err: hookErr }, 'onError hook failed')
  const state = req.connection.state
  let wire: WireError
  try {
    wire = req[kContext].errorMapper(err, req)
  } catch (mapperErr) {
    req.log.error({ err: mapperErr }, 'error mapper failed; using the default mapping')
    wire = defaultErrorMapper(err)
  }
  if (state.opts.compat === 'seed' && wire.code === RpcCode.INTERNAL_ERROR) wire = { ...wire, code: RpcCode.HANDLER_FAILED }
  const level = err instanceof LinefyError ? err.level : wire.code === RpcCode.HANDLER_FAILED ? 'error' : 'info'
  if (state.log.isLevelEnabled(level)) req.log[level]({ err, code: wire.code }, 'request failed')
  finish(req, req.id === undefined ? undefined : errorLine(req[kIdJson], wire))
}

/** The one place a request ends: exactly once, whatever raced to end it. */
function finish (req: Request, line: string | undefined): void {
  const stage = req[kStage]
  if (stage === Stage.Done) return
  req[kStage] = Stage.Done
  const timer = req[kTimer]
  if (timer !== null) {
    clearTimeout(timer)
    req[kTimer] = null
  }
  const conn = req.connection
  if (stage === Stage.Queued) conn.state.gate.dequeued()
  else conn.state.gate.release(req)
  conn.untrack(req)
  req[kSink].complete(req[kSlot], line)
  const onResponse = req[kContext].onResponse
  if (onResponse !== null) runHooks(onResponse, req, undefined, afterOnResponse)
}

function afterOnResponse (err: unknown, req: Request): void {
  if (err !== null) req.log.error({ err }, 'onResponse hook failed')
}

function onTimeout (req: Request): void {
  req[kTimer] = null
  if (req[kStage] >= Stage.Failing) return
  const ctx = req[kContext]
  const err = new codes.LINEFY_ERR_TIMEOUT(ctx.timeout)
  abortRequest(req, err)
  if (ctx.onTimeout !== null) runHooks(ctx.onTimeout, req, undefined, afterOnTimeout)
  fail(req, err)
}

function afterOnTimeout (err: unknown, req: Request): void {
  if (err !== null) req.log.error({ err }, 'onTimeout hook failed')
}

/** Aborts a request's signal and answers it with `err` (cancel, close deadline). */
export function abortWith (req: Request, err: LinefyError): void {
  if (req[kStage] >= Stage.Failing) return
  abortRequest(req, err)
  fail(req, err)
}

/** The client is gone: abort the work, release the slot, write nothing. */
export function dropRequest (req: Request, err: LinefyError): void {
  abortRequest(req, err)
  finish(req, undefined)
}
