import { format } from 'node:util'

/** JSON-RPC error codes used on the wire. */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  HANDLER_FAILED: -32001,
  TRANSPORT_LOST: -32002,
  TIMEOUT: -32003,
  OVERLOADED: -32004,
  SHUTTING_DOWN: -32005,
  CANCELLED: -32800
} as const

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * Every error linefy raises: a stable `code` (LINEFY_ERR_*) for programs, the
 * JSON-RPC code it maps to on the wire, and the level it is logged at when it
 * ends a request.
 */
export class LinefyError extends Error {
  code: string
  rpcCode: number
  level: LogLevel
  data?: unknown

  constructor (code: string, message: string, rpcCode: number, level: LogLevel) {
    super(message)
    this.name = 'LinefyError'
    this.code = code
    this.rpcCode = rpcCode
    this.level = level
  }
}

export interface LinefyErrorConstructor {
  new (...args: unknown[]): LinefyError
  readonly code: string
}

function createError (code: string, message: string, rpcCode: number = RpcCode.INTERNAL_ERROR, level: LogLevel = 'error'): LinefyErrorConstructor {
  const E = class extends LinefyError {
    static readonly code = code
    constructor (...args: unknown[]) {
      super(code, format(message, ...args), rpcCode, level)
    }
  }
  Object.defineProperty(E, 'name', { value: code })
  return E
}

export const codes = {
  // errors that end a request and go on the wire
  LINEFY_ERR_PARSE: createError('LINEFY_ERR_PARSE', 'parse error: %s', RpcCode.PARSE_ERROR, 'debug'),
  LINEFY_ERR_INVALID_REQUEST: createError('LINEFY_ERR_INVALID_REQUEST', '%s', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_LINE_TOO_LONG: createError('LINEFY_ERR_LINE_TOO_LONG', 'line exceeds maxLineBytes (%d bytes): send a smaller message or raise maxLineBytes', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_MALFORMED_FRAME: createError('LINEFY_ERR_MALFORMED_FRAME', 'malformed frame: %s', RpcCode.PARSE_ERROR, 'warn'),
  LINEFY_ERR_BATCH_TOO_LARGE: createError('LINEFY_ERR_BATCH_TOO_LARGE', 'batch of %d requests exceeds maxBatch (%d): split it or raise maxBatch', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_UNKNOWN_CONTROL: createError('LINEFY_ERR_UNKNOWN_CONTROL', "unknown control type '%s'", RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_METHOD_NOT_FOUND: createError('LINEFY_ERR_METHOD_NOT_FOUND', "unknown method '%s'", RpcCode.METHOD_NOT_FOUND, 'debug'),
  LINEFY_ERR_INVALID_PARAMS: createError('LINEFY_ERR_INVALID_PARAMS', 'invalid params at %s: %s', RpcCode.INVALID_PARAMS, 'debug'),
  LINEFY_ERR_RESULT_NOT_SERIALIZABLE: createError('LINEFY_ERR_RESULT_NOT_SERIALIZABLE', 'result could not be serialized to JSON: %s', RpcCode.INTERNAL_ERROR),
  LINEFY_ERR_HANDLER_REJECTED: createError('LINEFY_ERR_HANDLER_REJECTED', 'handler failed with a non-error value: %s', RpcCode.HANDLER_FAILED),
  LINEFY_ERR_TRANSPORT_LOST: createError('LINEFY_ERR_TRANSPORT_LOST', 'transport lost: %s', RpcCode.TRANSPORT_LOST, 'debug'),
  LINEFY_ERR_TIMEOUT: createError('LINEFY_ERR_TIMEOUT', 'request timed out after %d ms', RpcCode.TIMEOUT, 'warn'),
  LINEFY_ERR_OVERLOADED: createError('LINEFY_ERR_OVERLOADED', 'server overloaded: %d requests already queued, retry later', RpcCode.OVERLOADED, 'warn'),
  LINEFY_ERR_SHUTTING_DOWN: createError('LINEFY_ERR_SHUTTING_DOWN', 'server shutting down', RpcCode.SHUTTING_DOWN, 'info'),
  LINEFY_ERR_CANCELLED: createError('LINEFY_ERR_CANCELLED', 'request cancelled', RpcCode.CANCELLED, 'debug'),
  LINEFY_ERR_CLIENT_GONE: createError('LINEFY_ERR_CLIENT_GONE', 'client disconnected', RpcCode.TRANSPORT_LOST, 'debug'),

  // programmer errors, thrown at set-up time
  LINEFY_ERR_DEC_ALREADY_PRESENT: createError('LINEFY_ERR_DEC_ALREADY_PRESENT', "decorator '%s' has already been added: pick another name"),
  LINEFY_ERR_METHOD_DUPLICATE: createError('LINEFY_ERR_METHOD_DUPLICATE', "method '%s' is already registered: each method name may be added once"),
  LINEFY_ERR_CONTROL_DUPLICATE: createError('LINEFY_ERR_CONTROL_DUPLICATE', "control type '%s' is already registered"),
  LINEFY_ERR_HOOK_INVALID_TYPE: createError('LINEFY_ERR_HOOK_INVALID_TYPE', "'%s' is not a hook name: use one of %s"),
  LINEFY_ERR_INVALID_HANDLER: createError('LINEFY_ERR_INVALID_HANDLER', '%s must be a function, got %s'),
  LINEFY_ERR_INVALID_OPTION: createError('LINEFY_ERR_INVALID_OPTION', 'option %s %s'),
  LINEFY_ERR_INSTANCE_STARTED: createError('LINEFY_ERR_INSTANCE_STARTED', 'cannot %s after ready(): register everything inside plugins before the app starts'),
  LINEFY_ERR_CLOSED: createError('LINEFY_ERR_CLOSED', 'the app is closed or closing: create a new instance to %s'),
  LINEFY_ERR_HOOK_FALSY_REJECTION: createError('LINEFY_ERR_HOOK_FALSY_REJECTION', 'a %s hook rejected with a falsy value: reject with an Error', RpcCode.HANDLER_FAILED),
  LINEFY_ERR_ADDR_IN_USE: createError('LINEFY_ERR_ADDR_IN_USE', 'another daemon is already listening on %s: stop it first or choose another path'),
  LINEFY_ERR_UNSAFE_PATH: createError('LINEFY_ERR_UNSAFE_PATH', 'refusing to use %s: %s'),
  LINEFY_ERR_NO_LISTEN_TARGET: createError('LINEFY_ERR_NO_LISTEN_TARGET', 'listen() needs { path }, { fd }, { stdio: true }, { host, port } or socket activation (LISTEN_FDS/LISTEN_PID)'),
  LINEFY_ERR_SOCKET_PATH_TOO_LONG: createError('LINEFY_ERR_SOCKET_PATH_TOO_LONG', 'socket path %s is %d bytes, over the %d-byte limit of unix socket addresses: use a shorter path, e.g. under $XDG_RUNTIME_DIR'),
  LINEFY_ERR_LISTEN: createError('LINEFY_ERR_LISTEN', 'cannot listen on %s: %s'),
  LINEFY_ERR_ACCEPT: createError('LINEFY_ERR_ACCEPT', 'refusing new connections on %j (%s) until some close: raise the limit on open files (ulimit -n, LimitNOFILE= in the unit) if this recurs'),
  LINEFY_ERR_NOT_ACTIVATED: createError('LINEFY_ERR_NOT_ACTIVATED', 'socket activation %s: start the daemon through its systemd .socket unit, or listen on a path'),
  LINEFY_ERR_STDOUT_LOGGER: createError('LINEFY_ERR_STDOUT_LOGGER', 'the logger writes to stdout, which carries the JSON-RPC stream in stdio mode: log to stderr (pino.destination(2)) or leave the logger to linefy'),

  // client and CLI
  LINEFY_ERR_NOT_RUNNING: createError('LINEFY_ERR_NOT_RUNNING', 'no daemon is listening on %s: start one with `linefy daemon`, or pass --socket with the path it listens on', RpcCode.TRANSPORT_LOST, 'info'),
  LINEFY_ERR_CLI_USAGE: createError('LINEFY_ERR_CLI_USAGE', '%s: run `linefy --help` for usage', RpcCode.INVALID_REQUEST, 'info')
}

export type ErrorCode = keyof typeof codes

/** What goes on the wire as a JSON-RPC error object. */
export interface WireError {
  code: number
  message: string
  data?: unknown
}

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
