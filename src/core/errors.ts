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
  LINEFY_ERR_LINE_TOO_LONG: createError('LINEFY_ERR_LINE_TOO_LONG', 'line exceeds maxLineBytes (%d bytes): send a smaller message or raise maxLineBytes', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_MALFORMED_FRAME: createError('LINEFY_ERR_MALFORMED_FRAME', 'malformed frame: %s', RpcCode.PARSE_ERROR, 'warn'),
  LINEFY_ERR_BATCH_TOO_LARGE: createError('LINEFY_ERR_BATCH_TOO_LARGE', 'batch of %d requests exceeds maxBatch (%d): split it or raise maxBatch', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_UNKNOWN_CONTROL: createError('LINEFY_ERR_UNKNOWN_CONTROL', "unknown control type '%s'", RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_INVALID_PARAMS: createError('LINEFY_ERR_INVALID_PARAMS', 'invalid params at %s: %s', RpcCode.INVALID_PARAMS, 'debug'),
  LINEFY_ERR_INVALID_RESULT: createError('LINEFY_ERR_INVALID_RESULT', "result of method '%s' does not match its result schema at %s: %s (validateResults is on: fix the handler or the schema)", RpcCode.INTERNAL_ERROR),
  LINEFY_ERR_RESULT_NOT_SERIALIZABLE: createError('LINEFY_ERR_RESULT_NOT_SERIALIZABLE', 'result could not be serialized to JSON: %s', RpcCode.INTERNAL_ERROR),
  LINEFY_ERR_HANDLER_REJECTED: createError('LINEFY_ERR_HANDLER_REJECTED', 'handler failed with a non-error value: %s', RpcCode.HANDLER_FAILED),
  LINEFY_ERR_TRANSPORT_LOST: createError('LINEFY_ERR_TRANSPORT_LOST', 'transport lost: %s', RpcCode.TRANSPORT_LOST, 'debug'),
  LINEFY_ERR_TIMEOUT: createError('LINEFY_ERR_TIMEOUT', 'request timed out after %d ms', RpcCode.TIMEOUT, 'warn'),
  LINEFY_ERR_OVERLOADED: createError('LINEFY_ERR_OVERLOADED', 'server overloaded: %d requests already queued, retry later', RpcCode.OVERLOADED, 'warn'),
  LINEFY_ERR_SHUTTING_DOWN: createError('LINEFY_ERR_SHUTTING_DOWN', 'server shutting down', RpcCode.SHUTTING_DOWN, 'info'),
  LINEFY_ERR_CANCELLED: createError('LINEFY_ERR_CANCELLED', 'request cancelled', RpcCode.CANCELLED, 'debug'),
  LINEFY_ERR_CLIENT_GONE: createError('LINEFY_ERR_CLIENT_GONE', 'client disconnected', RpcCode.TRANSPORT_LOST, 'debug'),
  LINEFY_ERR_NO_PEER: createError('LINEFY_ERR_NO_PEER', "cannot send '%s': the connection is ending or has no client to ask (inject())", RpcCode.TRANSPORT_LOST, 'debug'),

  // HTTP transport: each answered with its own HTTP status (plugins/http.ts), never as a JSON-RPC reply
  LINEFY_ERR_HTTP_NOT_FOUND: createError('LINEFY_ERR_HTTP_NOT_FOUND', 'nothing is served at %s: POST JSON-RPC to %s', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_HTTP_METHOD: createError('LINEFY_ERR_HTTP_METHOD', '%s is not allowed on %s: use %s', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_HTTP_MEDIA_TYPE: createError('LINEFY_ERR_HTTP_MEDIA_TYPE', "content type '%s' is not accepted: send the body with Content-Type: application/json", RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_HTTP_BODY_TOO_LARGE: createError('LINEFY_ERR_HTTP_BODY_TOO_LARGE', 'request body exceeds maxLineBytes (%d bytes): send a smaller message or raise maxLineBytes', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_HTTP_BAD_REQUEST: createError('LINEFY_ERR_HTTP_BAD_REQUEST', 'malformed HTTP request (%s): send a complete HTTP/1.1 request; a chunked body must end with its zero-length chunk', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_HTTP_TIMEOUT: createError('LINEFY_ERR_HTTP_TIMEOUT', 'request not received in time (headers within %d ms, the whole request within %d ms): send it at once, or raise headersTimeout/requestTimeout', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_HTTP_HEADERS_TOO_LARGE: createError('LINEFY_ERR_HTTP_HEADERS_TOO_LARGE', 'request headers exceed %d bytes or %d fields: send fewer or smaller headers, or raise maxHeaderSize/maxHeadersCount', RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_HTTP_FORBIDDEN: createError('LINEFY_ERR_HTTP_FORBIDDEN', "%s '%s' is not allowed on this TCP listener (DNS rebinding protection): connect as localhost, 127.0.0.1 or [::1] on port %d, or add the name to allowedHosts", RpcCode.INVALID_REQUEST, 'warn'),
  LINEFY_ERR_HTTP_TOO_MANY_CONNECTIONS: createError('LINEFY_ERR_HTTP_TOO_MANY_CONNECTIONS', '%d HTTP connections are already open (maxConnections): retry later, reuse a keep-alive connection, or raise maxConnections', RpcCode.OVERLOADED, 'warn'),
  LINEFY_ERR_HTTP_PIPELINE_FULL: createError('LINEFY_ERR_HTTP_PIPELINE_FULL', '%d requests are already waiting on this connection (maxBacklog): wait for their replies before sending more', RpcCode.OVERLOADED, 'warn'),

  // MCP (plugins/mcp.ts): what a host gets wrong, answered on the wire
  LINEFY_ERR_MCP_NOT_INITIALIZED: createError('LINEFY_ERR_MCP_NOT_INITIALIZED', "'%s' before initialize: send initialize first (only ping and server/discover may come before it)", RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_MCP_ALREADY_INITIALIZED: createError('LINEFY_ERR_MCP_ALREADY_INITIALIZED', 'this connection is already initialized: open a new connection to start another session', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_MCP_UNKNOWN_TOOL: createError('LINEFY_ERR_MCP_UNKNOWN_TOOL', "unknown tool '%s': tools/list names the tools this server has", RpcCode.INVALID_PARAMS, 'debug'),
  LINEFY_ERR_MCP_UNKNOWN_PROMPT: createError('LINEFY_ERR_MCP_UNKNOWN_PROMPT', "unknown prompt '%s': prompts/list names the prompts this server has", RpcCode.INVALID_PARAMS, 'debug'),
  LINEFY_ERR_MCP_UNKNOWN_RESOURCE: createError('LINEFY_ERR_MCP_UNKNOWN_RESOURCE', 'resource not found: %s (resources/list and resources/templates/list name what this server has)', -32002, 'debug'),
  LINEFY_ERR_MCP_UNKNOWN_REF: createError('LINEFY_ERR_MCP_UNKNOWN_REF', 'nothing to complete for %s: name a prompt of prompts/list or a template of resources/templates/list', RpcCode.INVALID_PARAMS, 'debug'),
  LINEFY_ERR_MCP_MISSING_ARGUMENT: createError('LINEFY_ERR_MCP_MISSING_ARGUMENT', "prompt '%s' needs the argument '%s'", RpcCode.INVALID_PARAMS, 'debug'),
  LINEFY_ERR_MCP_INVALID_CURSOR: createError('LINEFY_ERR_MCP_INVALID_CURSOR', "invalid cursor '%s': pass the nextCursor of the previous page, or none for the first page", RpcCode.INVALID_PARAMS, 'debug'),
  LINEFY_ERR_MCP_SESSION_REQUIRED: createError('LINEFY_ERR_MCP_SESSION_REQUIRED', 'no Mcp-Session-Id header: send initialize first, then the Mcp-Session-Id its response carried with every request', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_MCP_UNKNOWN_SESSION: createError('LINEFY_ERR_MCP_UNKNOWN_SESSION', 'session %s is not open (ended, or never begun): start a new one with initialize', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_MCP_NOT_ACCEPTABLE: createError('LINEFY_ERR_MCP_NOT_ACCEPTABLE', 'the Accept header must list %s', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_MCP_PROTOCOL_VERSION: createError('LINEFY_ERR_MCP_PROTOCOL_VERSION', "MCP-Protocol-Version '%s' is not one this server speaks (%s): send the version initialize agreed on", RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_MCP_STREAM_OPEN: createError('LINEFY_ERR_MCP_STREAM_OPEN', 'this session already has its GET stream open: close it before opening another', RpcCode.INVALID_REQUEST, 'debug'),
  LINEFY_ERR_MCP_TOO_MANY_SUBSCRIPTIONS: createError('LINEFY_ERR_MCP_TOO_MANY_SUBSCRIPTIONS', 'this session already holds %d resource subscriptions: unsubscribe from some first', RpcCode.INVALID_PARAMS, 'warn'),

  // programmer errors, thrown at set-up time
  LINEFY_ERR_MCP_TOOL_SCHEMA: createError('LINEFY_ERR_MCP_TOOL_SCHEMA', "method '%s' takes params of type %s, but the arguments of an MCP tool are always an object: give it a Type.Object params schema, or leave it out of MCP"),
  LINEFY_ERR_MCP_NO_METHOD: createError('LINEFY_ERR_MCP_NO_METHOD', "MCP tool '%s' is not a method: register it with app.method() or take it out of the mcp plugin's tools list"),
  LINEFY_ERR_MCP_DUPLICATE: createError('LINEFY_ERR_MCP_DUPLICATE', "MCP %s '%s' is already registered: each may be added once"),
  LINEFY_ERR_DEC_ALREADY_PRESENT: createError('LINEFY_ERR_DEC_ALREADY_PRESENT', "decorator '%s' has already been added: pick another name"),
  LINEFY_ERR_METHOD_DUPLICATE: createError('LINEFY_ERR_METHOD_DUPLICATE', "method '%s' is already registered: each method name may be added once"),
  LINEFY_ERR_CONTROL_DUPLICATE: createError('LINEFY_ERR_CONTROL_DUPLICATE', "control type '%s' is already registered"),
  LINEFY_ERR_HOOK_INVALID_TYPE: createError('LINEFY_ERR_HOOK_INVALID_TYPE', "'%s' is not a hook name: use one of %s"),
  LINEFY_ERR_INVALID_HANDLER: createError('LINEFY_ERR_INVALID_HANDLER', '%s must be a function, got %s'),
  LINEFY_ERR_INVALID_OPTION: createError('LINEFY_ERR_INVALID_OPTION', 'option %s %s'),
  LINEFY_ERR_INSTANCE_STARTED: createError('LINEFY_ERR_INSTANCE_STARTED', 'cannot %s after ready(): register everything inside plugins before the app starts'),
  LINEFY_ERR_INVALID_ROUTER: createError('LINEFY_ERR_INVALID_ROUTER', 'a router must have a %s() method: see "Writing a router" in the README'),
  LINEFY_ERR_INVALID_GATE: createError('LINEFY_ERR_INVALID_GATE', 'a gate factory must return an object with enter(), leave() and drop(): see "Writing a gate" in the README'),
  LINEFY_ERR_PLUGIN_NOT_VALID: createError('LINEFY_ERR_PLUGIN_NOT_VALID', 'register() takes an async (app, opts) => {} function or a module whose default export is one (%s)'),
  LINEFY_ERR_PLUGIN_TIMEOUT: createError('LINEFY_ERR_PLUGIN_TIMEOUT', 'a plugin did not finish loading within pluginTimeout (%s): resolve its promise or call done(), or raise pluginTimeout'),
  LINEFY_ERR_PLUGIN_LOADED: createError('LINEFY_ERR_PLUGIN_LOADED', 'cannot register a plugin here (%s): its parent has already loaded; register it from inside the parent plugin, before it returns'),
  LINEFY_ERR_SCHEMA_NOT_DESCRIBABLE: createError('LINEFY_ERR_SCHEMA_NOT_DESCRIBABLE', "method '%s' cannot be described in OpenRPC (rpc.discover): %s"),
  LINEFY_ERR_CLOSED: createError('LINEFY_ERR_CLOSED', 'the app is closed or closing: create a new instance to %s'),
  LINEFY_ERR_HOOK_FALSY_REJECTION: createError('LINEFY_ERR_HOOK_FALSY_REJECTION', 'the %s hook rejected with a falsy value: reject with an Error', RpcCode.HANDLER_FAILED),
  LINEFY_ERR_ADDR_IN_USE: createError('LINEFY_ERR_ADDR_IN_USE', 'another daemon is already listening on %s: stop it first or choose another path'),
  LINEFY_ERR_UNSAFE_PATH: createError('LINEFY_ERR_UNSAFE_PATH', 'refusing to use %s: %s'),
  LINEFY_ERR_NO_LISTEN_TARGET: createError('LINEFY_ERR_NO_LISTEN_TARGET', 'listen() needs { path }, { fd }, { stdio: true }, { host, port }, { http } or socket activation (LISTEN_FDS/LISTEN_PID)'),
  LINEFY_ERR_SOCKET_PATH_TOO_LONG: createError('LINEFY_ERR_SOCKET_PATH_TOO_LONG', 'socket path %s is %d bytes, over the %d-byte limit of unix socket addresses: use a shorter path, e.g. under $XDG_RUNTIME_DIR'),
  LINEFY_ERR_LISTEN: createError('LINEFY_ERR_LISTEN', 'cannot listen on %s: %s'),
  LINEFY_ERR_ACCEPT: createError('LINEFY_ERR_ACCEPT', 'refusing new connections on %j (%s) until some close: raise the limit on open files (ulimit -n, LimitNOFILE= in the unit) if this recurs'),
  LINEFY_ERR_NOT_ACTIVATED: createError('LINEFY_ERR_NOT_ACTIVATED', 'socket activation %s: start the daemon through its systemd .socket unit, or listen on a path'),
  LINEFY_ERR_STATE_FILE: createError('LINEFY_ERR_STATE_FILE', 'control state file %s: %s: make sure its directory can be created and written by this user, or pass another --state-file'),
  LINEFY_ERR_INVALID_FSM_STATE: createError('LINEFY_ERR_INVALID_FSM_STATE', "'%s' is not a lifecycle state: use one of WAKE, TRANSITIONING, SLEEP, DREAMING"),
  LINEFY_ERR_STDOUT_LOGGER: createError('LINEFY_ERR_STDOUT_LOGGER', 'the logger writes to stdout, which carries the JSON-RPC stream in stdio mode: log to stderr (pino.destination(2)) or leave the logger to linefy'),

  // client and CLI
  LINEFY_ERR_REPLY_TOO_LONG: createError('LINEFY_ERR_REPLY_TOO_LONG', 'the daemon sent a reply of %d bytes or more, over maxReplyBytes (%d): raise maxReplyBytes in connect() if replies this large are expected', RpcCode.TRANSPORT_LOST, 'warn'),
  LINEFY_ERR_NOT_RUNNING: createError('LINEFY_ERR_NOT_RUNNING', 'no daemon is listening on %s: start one with `linefy daemon`, or pass --socket with the path it listens on', RpcCode.TRANSPORT_LOST, 'info'),
  LINEFY_ERR_NO_DISCOVERY: createError('LINEFY_ERR_NO_DISCOVERY', 'the daemon on %s does not answer rpc.discover, so its methods cannot be listed: register the discover plugin in it (app.register(discover), from linefy)', RpcCode.METHOD_NOT_FOUND, 'info'),
  LINEFY_ERR_UNKNOWN_METHOD: createError('LINEFY_ERR_UNKNOWN_METHOD', "the daemon has no method '%s'%s", RpcCode.METHOD_NOT_FOUND, 'info'),
  LINEFY_ERR_CLI_USAGE: createError('LINEFY_ERR_CLI_USAGE', '%s: run `linefy --help` for usage', RpcCode.INVALID_REQUEST, 'info')
}

export type ErrorCode = keyof typeof codes

/** A JSON-RPC error from the other side (a daemon, or a client answering the server), or one decided locally (-32002, -32003, -32800). */
export class RpcError extends Error {
  readonly code: number
  readonly data?: unknown

  constructor (code: number, message: string, data?: unknown) {
    super(message)
    this.name = 'RpcError'
    this.code = code
    if (data !== undefined) this.data = data
  }
}

/** What goes on the wire as a JSON-RPC error object. */
export interface WireError {
  code: number
  message: string
  data?: unknown
}

/** Shapes a thrown value into a wire error; `req` is the Request, or the control message for a control handler. */
export type ErrorMapper = (err: unknown, req: unknown) => WireError

// avvio's own errors, as the user should see them (Fastify's AVVIO_ERRORS_MAP)
const AVVIO_ERRORS: Record<string, LinefyErrorConstructor> = {
  AVV_ERR_PLUGIN_NOT_VALID: codes.LINEFY_ERR_PLUGIN_NOT_VALID,
  AVV_ERR_READY_TIMEOUT: codes.LINEFY_ERR_PLUGIN_TIMEOUT,
  AVV_ERR_PLUGIN_EXEC_TIMEOUT: codes.LINEFY_ERR_PLUGIN_TIMEOUT,
  AVV_ERR_ROOT_PLG_BOOTED: codes.LINEFY_ERR_PLUGIN_LOADED,
  AVV_ERR_PARENT_PLG_LOADED: codes.LINEFY_ERR_PLUGIN_LOADED
}

/** An AVV_ERR_* error wrapped as its LINEFY_ERR_* twin, the original as `cause`; anything else as it is. */
export function fromAvvio (err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code
  const E = typeof code === 'string' && Object.hasOwn(AVVIO_ERRORS, code) ? AVVIO_ERRORS[code] : undefined
  if (E === undefined) return err
  const wrapped = new E((err as Error).message)
  wrapped.cause = err
  return wrapped
}
