import type { Logger } from 'pino'
import { codes, LinefyError, RpcCode, type ErrorMapper, type WireError } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'

/**
 * The default mapping from a thrown value to a wire error: linefy's own errors
 * keep their code, an error carrying a numeric `code` (and `data`) keeps them,
 * anything else is a handler failure (-32001) whose message is the error's.
 */
export function defaultErrorMapper (err: unknown): WireError {
  if (err instanceof LinefyError) {
    return err.data === undefined
      ? { code: err.rpcCode, message: err.message }
      : { code: err.rpcCode, message: err.message, data: err.data }
  }
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown, message?: unknown, data?: unknown }
    const message = typeof e.message === 'string' ? e.message : String(err)
    if (typeof e.code === 'number' && Number.isInteger(e.code)) {
      return e.data === undefined ? { code: e.code, message } : { code: e.code, message, data: e.data }
    }
    return { code: RpcCode.HANDLER_FAILED, message }
  }
  return { code: RpcCode.HANDLER_FAILED, message: new codes.LINEFY_ERR_HANDLER_REJECTED(String(err)).message }
}

/**
 * The Python server's mapping on top of any mapper: it has no -32603, every
 * failure inside a handler is -32001. Applied per method at ready() in
 * `compat: 'seed'`, after whatever mapper the method's context set.
 */
export function seedErrorMapper (inner: ErrorMapper): ErrorMapper {
  return function seedMapping (err, req) {
    const wire = inner(err, req)
    return wire.code === RpcCode.INTERNAL_ERROR ? { ...wire, code: RpcCode.HANDLER_FAILED } : wire
  }
}

/** Runs a mapper; one that throws is logged and the default mapping used instead. */
export function mapError (mapper: ErrorMapper, err: unknown, subject: unknown, log: Logger): WireError {
  try {
    return mapper(err, subject)
  } catch (mapperErr) {
    log.error({ err: mapperErr }, 'error mapper failed; using the default mapping')
    return defaultErrorMapper(err)
  }
}

export interface ErrorMapperOptions {
  mapper: ErrorMapper
}

/**
 * Sets the error mapper of the context that registers it, as
 * `app.setErrorMapper(mapper)` would there: its methods and those of its
 * child plugins map their failures through it; siblings keep theirs.
 */
export default plugin<ErrorMapperOptions>(async function errorMapper (app, opts) {
  app.setErrorMapper(opts.mapper)
}, { name: 'linefy-error-mapper' })
