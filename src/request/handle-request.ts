import { mapError } from '../../plugins/error-mapper.js'
import type { Connection, Sink } from '../connection/types.js'
import { codes, LinefyError, RpcCode } from '../core/errors.js'
import { kAdmission, kContext, kIdJson, kSink, kSlot, kStage, kTimer, kTracked } from '../core/symbols.js'
import type { GatedRequest } from '../gate/gate.js'
import type { Context } from './context.js'
import { hookRunner, isThenable, shapes } from './hooks.js'
import { HEAD, RawJson, errorLine } from './reply.js'
import { abortRequest, Admission, Request, Stage, type JsonRpcId } from './request.js'

// a request answered while one of its hooks was pending runs no more hooks
const answered = (req: Request): boolean => req[kStage] >= Stage.Failing
// what a cancel notice, the close deadline and a disconnect reach: a request
// joins its connection's in-flight list only once it can be pending across a tick
function track (req: Request): void {
  if (req[kTracked]) return
  req[kTracked] = true
  req.connection.track(req)
}

const runOnRequest = hookRunner('onRequest', shapes.targetOnly, answered, track)
const runPreValidation = hookRunner('preValidation', shapes.targetOnly, answered, track)
const runPreHandler = hookRunner('preHandler', shapes.targetOnly, answered, track)
const runOnSend = hookRunner('onSend', shapes.transform, answered, track)
const runOnError = hookRunner('onError', shapes.withValue, undefined, track)
const runOnResponse = hookRunner('onResponse', shapes.targetOnly)
const runOnTimeout = hookRunner('onTimeout', shapes.targetOnly)

/**
 * The request half of the data path, for a message the router has matched
 * to a method: onRequest → preValidation → params check → preHandler → gate
 * → handler → onSend → reply, with every failure through onError and the
 * error mapper. Each step is a named function taking the request, so no
 * closure is made per request.
 */
export function startRequest (ctx: Context, conn: Connection, sink: Sink, slot: number, id: JsonRpcId | undefined, idJson: string, method: string, params: unknown): void {
  const req = new Request(ctx, conn, sink, slot, id, idJson, method, params)
  if (ctx.timeout > 0) req[kTimer] = setTimeout(onTimeout, ctx.timeout, req)
  if (ctx.plain) return admit(req)
  if (ctx.onRequest !== null) runOnRequest(ctx.onRequest, req, undefined, afterOnRequest)
  else afterOnRequest(null, req)
}

function afterOnRequest (err: unknown, req: Request): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  const ctx = req[kContext]
  if (ctx.preValidation !== null) runPreValidation(ctx.preValidation, req, undefined, afterPreValidation)
  else afterPreValidation(null, req)
}

function afterPreValidation (err: unknown, req: Request): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  const ctx = req[kContext]
  const validator = ctx.validator
  if (validator !== null && !validator.Check(req.params)) {
    const first = validator.Errors(req.params).First()
    // Stryker disable next-line OptionalChaining: equivalent, TypeBox reports at least one error for a failed Check
    return fail(req, new codes.LINEFY_ERR_INVALID_PARAMS(first?.path || '/', first?.message))
  }
  if (ctx.preHandler !== null) runPreHandler(ctx.preHandler, req, undefined, afterPreHandler)
  else afterPreHandler(null, req)
}

function afterPreHandler (err: unknown, req: Request): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  admit(req)
}

function admit (req: Request): void {
  const ctx = req[kContext]
  // the requests it runs take a slot each: holding one itself could leave them none
  if (!ctx.gated) {
    req[kStage] = Stage.Running
    return runHandler(req)
  }
  const admission = ctx.admission
  if (!admission.gate.enter(req)) return fail(req, new codes.LINEFY_ERR_OVERLOADED(admission.maxQueue))
  // the gate holds it: it waits, and counts as queued until it runs or ends
  if (req[kAdmission] === Admission.None && req[kStage] === Stage.Pending) {
    track(req)
    req[kAdmission] = Admission.Waiting
    req[kStage] = Stage.Queued
    admission.activity.queued++
  }
}

/** GateCore.run: the gate starts a request it admitted, unless it ended while it waited. */
export function runAdmitted (gated: GatedRequest): boolean {
  const req = gated as Request
  if (req[kStage] >= Stage.Failing) return false
  const activity = req[kContext].admission.activity
  if (req[kAdmission] === Admission.Waiting) activity.queued--
  req[kAdmission] = Admission.Running
  req[kStage] = Stage.Running
  activity.inFlight++
  runHandler(req)
  return true
}

function runHandler (req: Request): void {
  const ctx = req[kContext]
  let r: unknown
  try {
    r = ctx.handler.call(ctx.instance, req)
  } catch (err) {
    return fail(req, err)
  }
  if (isThenable(r)) {
    track(req)
    r.then((v) => succeed(req, v), (err) => fail(req, err))
  } else {
    succeed(req, r)
  }
}

/** The one place a request leaves the gate: at most once, with exactly the call the gate is owed. */
function leaveGate (req: Request): void {
  const admission = req[kAdmission]
  if (admission === Admission.None) return
  req[kAdmission] = Admission.None
  const { gate, activity } = req[kContext].admission
  if (admission === Admission.Running) {
    activity.inFlight--
    gate.leave(req)
  } else {
    activity.queued--
    gate.drop(req)
  }
}

function succeed (req: Request, value: unknown): void {
  if (req[kStage] >= Stage.Failing) return
  const ctx = req[kContext]
  if (ctx.onSend !== null) runOnSend(ctx.onSend, req, value, afterOnSend)
  else afterOnSend(null, req, value)
}

function afterOnSend (err: unknown, req: Request, value: unknown): void {
  if (err !== null) return fail(req, err)
  if (req[kStage] >= Stage.Failing) return
  if (req.id === undefined) return finish(req, undefined)
  if (value instanceof RawJson) return finish(req, HEAD + req[kIdJson] + ',"result":' + value.json + '}')
  const check = req[kContext].resultValidator
  if (check !== null && !check.Check(value)) {
    const first = check.Errors(value).First()
    // Stryker disable next-line OptionalChaining: equivalent, TypeBox reports at least one error for a failed Check
    return fail(req, new codes.LINEFY_ERR_INVALID_RESULT(req.method, first?.path || '/', first?.message))
  }
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
  if (req[kStage] >= Stage.Failing) return
  // a request that waited gives its place up now, not after onError hooks
  if (req[kAdmission] === Admission.Waiting) leaveGate(req)
  req[kStage] = Stage.Failing
  const ctx = req[kContext]
  if (ctx.onError !== null) runOnError(ctx.onError, req, err, afterOnError)
  else afterOnError(null, req, err)
}

function afterOnError (hookErr: unknown, req: Request, err: unknown): void {
  // the request's own logger: a dispatched request's parent, or a level a hook set, may differ from the connection's
  const log = req.log
  if (hookErr !== null) log.error({ err: hookErr }, 'onError hook failed')
  const wire = mapError(req[kContext].errorMapper, err, req, log)
  const level = err instanceof LinefyError ? err.level : wire.code === RpcCode.HANDLER_FAILED ? 'error' : 'info'
  if (log.isLevelEnabled(level)) log[level]({ err, code: wire.code }, 'request failed')
  finish(req, req.id === undefined ? undefined : errorLine(req[kIdJson], wire))
}

/** The one place a request ends: exactly once, whatever raced to end it. */
function finish (req: Request, line: string | undefined): void {
  if (req[kStage] === Stage.Done) return
  req[kStage] = Stage.Done
  const timer = req[kTimer]
  if (timer !== null) {
    clearTimeout(timer)
    req[kTimer] = null
  }
  leaveGate(req)
  if (req[kTracked]) req.connection.untrack(req)
  req[kSink].complete(req[kSlot], line)
  const onResponse = req[kContext].onResponse
  if (onResponse !== null) runOnResponse(onResponse, req, undefined, afterOnResponse)
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
  if (ctx.onTimeout !== null) runOnTimeout(ctx.onTimeout, req, undefined, afterOnTimeout)
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
