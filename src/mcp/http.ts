import type { IncomingMessage, ServerResponse } from 'node:http'
import { codes, type LinefyError } from '../core/errors.js'
import type { LinefyInstance } from '../core/instance.js'
import { jsonOfId } from '../request/reply.js'
import { stateOf } from '../transport/serve-net.js'
import { Exchange, HttpSession } from './http-session.js'
import { PROTOCOL_VERSIONS } from './protocol.js'

export interface McpHttpOptions {
  /** The MCP endpoint on every HTTP listener of the app (default '/mcp'). */
  path?: string
  /** Sessions kept at once; past it the one idle longest is ended (default 256). */
  maxSessions?: number
  /** Answer requests as JSON even when the client accepts an SSE stream (default false). */
  json?: boolean
}

const STATUS: Record<string, number> = {
  LINEFY_ERR_MCP_SESSION_REQUIRED: 400,
  LINEFY_ERR_MCP_PROTOCOL_VERSION: 400,
  LINEFY_ERR_PARSE: 400,
  LINEFY_ERR_MCP_UNKNOWN_SESSION: 404,
  LINEFY_ERR_HTTP_METHOD: 405,
  LINEFY_ERR_MCP_NOT_ACCEPTABLE: 406,
  LINEFY_ERR_MCP_STREAM_OPEN: 409,
  LINEFY_ERR_HTTP_BODY_TOO_LARGE: 413,
  LINEFY_ERR_HTTP_MEDIA_TYPE: 415
}

// as the MCP SDKs answer a refused HTTP request: a JSON-RPC error without an id
function refuse (res: ServerResponse, err: LinefyError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: err.rpcCode, message: err.message, data: { code: err.code } } })
  res.writeHead(STATUS[err.code] as number, { 'content-type': 'application/json', ...headers }).end(body)
}

const accepts = (req: IncomingMessage, type: string): boolean => {
  const accept = req.headers.accept
  return accept === undefined || accept.includes(type) || accept.includes('*/*')
}

interface Message { id?: unknown, method?: unknown, result?: unknown, error?: unknown, params?: { _meta?: { progressToken?: unknown } } }

/**
 * MCP's Streamable HTTP transport, as a route of the HTTP listeners: POST
 * carries the client's messages (answered as JSON or an SSE stream), GET
 * opens the stream of the server's own messages, DELETE ends the session.
 * The session is named by Mcp-Session-Id, minted at initialize; Host and
 * Origin were checked by the HTTP transport already (DNS rebinding).
 */
export function mcpHttpRoute (app: LinefyInstance, opts: McpHttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const maxSessions = opts.maxSessions ?? 256
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new codes.LINEFY_ERR_INVALID_OPTION('http.maxSessions', `of the mcp plugin must be an integer >= 1, got ${String(maxSessions)}`)
  const maxBody = stateOf(app).opts.maxLineBytes
  // least recently used first: a Map keeps insertion order, and each use moves its session last
  const sessions = new Map<string, HttpSession>()
  const gone = (s: HttpSession): void => { if (sessions.get(s.id) === s) sessions.delete(s.id) }

  function session (req: IncomingMessage, res: ServerResponse): HttpSession | null {
    const id = req.headers['mcp-session-id']
    if (typeof id !== 'string') return refuse(res, new codes.LINEFY_ERR_MCP_SESSION_REQUIRED()), null
    const s = sessions.get(id)
    if (s === undefined) return refuse(res, new codes.LINEFY_ERR_MCP_UNKNOWN_SESSION(id.slice(0, 64))), null
    const version = req.headers['mcp-protocol-version']
    if (typeof version === 'string' && !(PROTOCOL_VERSIONS as readonly string[]).includes(version)) {
      return refuse(res, new codes.LINEFY_ERR_MCP_PROTOCOL_VERSION(version.slice(0, 32), PROTOCOL_VERSIONS.join(', '))), null
    }
    sessions.delete(id)
    sessions.set(id, s)
    return s
  }

  function open (): HttpSession {
    if (sessions.size >= maxSessions) (sessions.values().next().value as HttpSession).close()
    const s = new HttpSession(app, gone)
    sessions.set(s.id, s)
    return s
  }

  function post (req: IncomingMessage, res: ServerResponse, body: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch (err) {
      return refuse(res, new codes.LINEFY_ERR_PARSE((err as Error).message))
    }
    const batch = Array.isArray(parsed)
    const messages = (batch ? parsed : [parsed]) as Message[]
    const initializing = messages.some((m) => m !== null && typeof m === 'object' && m.method === 'initialize')
    const s = initializing && req.headers['mcp-session-id'] === undefined ? open() : session(req, res)
    if (s === null) return
    const requests = messages.filter((m) => m !== null && typeof m === 'object' && typeof m.method === 'string' && m.id !== undefined)
    // anything that is not a request (a notification, a reply, garbage) is answered by the connection, if at all, with id null
    const invalid = messages.some((m) => m === null || typeof m !== 'object' || (typeof m.method !== 'string' && m.result === undefined && m.error === undefined))
    const ids = requests.map((m) => jsonOfId(m.id))
    if (invalid) ids.push('null')
    if (ids.length === 0) {
      s.deliver(body, [], null)
      res.writeHead(202).end()
      return
    }
    const tokens = new Set(requests.map((m) => m.params?._meta?.progressToken).filter((t) => t !== undefined))
    const sse = opts.json !== true && !initializing && accepts(req, 'text/event-stream')
    const exchange = new Exchange(res, sse, ids.length, batch, tokens, { 'mcp-session-id': s.id })
    res.once('close', () => { if (!exchange.done) s.abandon(exchange) })
    s.deliver(body, ids, exchange)
  }

  return function mcpEndpoint (req, res) {
    const method = req.method
    if (method === 'POST') {
      if (!accepts(req, 'application/json') && !accepts(req, 'text/event-stream')) return refuse(res, new codes.LINEFY_ERR_MCP_NOT_ACCEPTABLE('application/json and text/event-stream'))
      const type = req.headers['content-type']
      if (type === undefined || !/^application\/json[\t ]*(?:;|$)/i.test(type)) return refuse(res, new codes.LINEFY_ERR_HTTP_MEDIA_TYPE(type ?? '(none)'))
      return readBody(req, res, maxBody, (body) => post(req, res, body))
    }
    if (method === 'GET') {
      if (!accepts(req, 'text/event-stream') || req.headers.accept === undefined) return refuse(res, new codes.LINEFY_ERR_MCP_NOT_ACCEPTABLE('text/event-stream'))
      const s = session(req, res)
      if (s === null) return
      if (s.get !== null) return refuse(res, new codes.LINEFY_ERR_MCP_STREAM_OPEN())
      return s.openGet(res)
    }
    if (method === 'DELETE') {
      const s = session(req, res)
      if (s === null) return
      s.close()
      return void res.writeHead(200).end()
    }
    refuse(res, new codes.LINEFY_ERR_HTTP_METHOD(method, req.url, 'POST, GET or DELETE'), { allow: 'GET, POST, DELETE' })
  }
}

/** The body, counted as it streams and never held past maxLineBytes. */
function readBody (req: IncomingMessage, res: ServerResponse, max: number, then: (body: string) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  req.on('data', (chunk: Buffer) => {
    if (size > max) return
    size += chunk.length
    if (size <= max) return void chunks.push(chunk)
    chunks.length = 0
    refuse(res, new codes.LINEFY_ERR_HTTP_BODY_TOO_LARGE(max), { connection: 'close' })
  })
  req.on('end', () => { if (size <= max) then(Buffer.concat(chunks, size).toString()) })
}
