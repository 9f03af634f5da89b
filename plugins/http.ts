import { Server, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import { isIPv6, type AddressInfo, type Socket } from 'node:net'
import { Connection } from '../src/connection.js'
import { codes, type LinefyError } from '../src/errors.js'
import type { Framing } from '../src/framing.js'
import { runHooks, type Hooks } from '../src/hooks.js'
import type { LinefyInstance } from '../src/instance.js'
import { plugin } from '../src/plugin.js'
import type { State } from '../src/state.js'
import { kFraming, kHooks } from '../src/symbols.js'
import { serveNet, stateOf, type Binding } from '../src/transport.js'
import type { Lifecycle } from './lifecycle.js'
import { tcpBinding } from './tcp.js'
import { unixBinding } from './unix.js'

export interface HttpOptions {
  /** A unix socket file, bound with every rule of the unix transport (0700 directory, 0600 socket, ...). */
  path?: string
  /** Permissions of the socket file (default 0o600). */
  mode?: number
  /** TCP: 127.0.0.1 unless host says otherwise. */
  host?: string
  /** TCP port (default 0: a free port, see app.addresses()). */
  port?: number
  /** Where JSON-RPC is POSTed (default '/'). */
  endpoint?: string
  /** Where GET answers the lifecycle status, when the lifecycle plugin is registered (default '/health'). */
  healthEndpoint?: string
  /** TCP only: Host and Origin names accepted besides localhost, 127.0.0.1 and [::1], always with the listening port. */
  allowedHosts?: string[]
  /** Milliseconds a client has to send the request headers (default 10 000). */
  headersTimeout?: number
  /** Milliseconds a client has to send the whole request, body included (default 30 000). */
  requestTimeout?: number
  /** Milliseconds an idle keep-alive connection stays open (default 5 000). */
  keepAliveTimeout?: number
  /** Bytes of request headers accepted (default 16 KiB). */
  maxHeaderSize?: number
  /** Header fields accepted (default 100). */
  maxHeadersCount?: number
  /** HTTP connections open at once; past it a request is answered 503 (default 1024). */
  maxConnections?: number
}

interface Resolved {
  endpoint: string
  healthEndpoint: string
  allowedHosts: string[]
  headersTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
  maxHeaderSize: number
  maxHeadersCount: number
  maxConnections: number
}

function count (opts: HttpOptions, name: keyof HttpOptions, fallback: number): number {
  const v = opts[name]
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new codes.LINEFY_ERR_INVALID_OPTION(name, `must be an integer >= 1, got ${String(v)}`)
  return v
}

function urlPath (opts: HttpOptions, name: 'endpoint' | 'healthEndpoint', fallback: string): string {
  const v = opts[name] ?? fallback
  if (typeof v !== 'string' || !v.startsWith('/') || v.includes('?')) throw new codes.LINEFY_ERR_INVALID_OPTION(name, `must be a URL path such as '${fallback}', got ${String(v)}`)
  return v
}

/** As a Host header writes it: lower case, an IPv6 literal in brackets. */
function hostName (name: unknown): string {
  const lower = typeof name === 'string' ? name.toLowerCase() : ''
  if (isIPv6(lower)) return `[${lower}]`
  if (lower === '' || (lower.includes(':') && !isIPv6(lower.slice(1, -1)))) {
    throw new codes.LINEFY_ERR_INVALID_OPTION('allowedHosts', `must list host names without a port, such as 'myhost.local', got ${String(name)}`)
  }
  return lower
}

function resolveOptions (opts: HttpOptions): Resolved {
  const headersTimeout = count(opts, 'headersTimeout', 10_000)
  const requestTimeout = count(opts, 'requestTimeout', Math.max(30_000, headersTimeout))
  if (headersTimeout > requestTimeout) throw new codes.LINEFY_ERR_INVALID_OPTION('headersTimeout', `must not exceed requestTimeout (${requestTimeout}), got ${headersTimeout}`)
  const allowed = opts.allowedHosts ?? []
  if (!Array.isArray(allowed)) throw new codes.LINEFY_ERR_INVALID_OPTION('allowedHosts', `must be an array of host names, got ${String(allowed)}`)
  return {
    endpoint: urlPath(opts, 'endpoint', '/'),
    healthEndpoint: urlPath(opts, 'healthEndpoint', '/health'),
    allowedHosts: ['localhost', '127.0.0.1', '[::1]', ...allowed.map(hostName)],
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: count(opts, 'keepAliveTimeout', 5_000),
    maxHeaderSize: count(opts, 'maxHeaderSize', 16 * 1024),
    maxHeadersCount: count(opts, 'maxHeadersCount', 100),
    maxConnections: count(opts, 'maxConnections', 1024)
  }
}

const STATUS: Record<string, number> = {
  LINEFY_ERR_HTTP_BAD_REQUEST: 400,
  LINEFY_ERR_HTTP_FORBIDDEN: 403,
  LINEFY_ERR_HTTP_NOT_FOUND: 404,
  LINEFY_ERR_HTTP_METHOD: 405,
  LINEFY_ERR_HTTP_TIMEOUT: 408,
  LINEFY_ERR_HTTP_BODY_TOO_LARGE: 413,
  LINEFY_ERR_HTTP_MEDIA_TYPE: 415,
  LINEFY_ERR_HTTP_HEADERS_TOO_LARGE: 431,
  LINEFY_ERR_HTTP_TOO_MANY_CONNECTIONS: 503,
  LINEFY_ERR_HTTP_PIPELINE_FULL: 503
}

const REASON: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

// parameters (charset) may follow; nothing else may
const JSON_TYPE = /^application\/json[\t ]*(?:;|$)/i

const kPeer = Symbol('linefy.http.peer')

type Tagged<T> = T & { [kPeer]?: Peer }

function errorBody (err: LinefyError): string {
  return JSON.stringify({ error: { code: err.code, message: err.message } })
}

/**
 * One HTTP connection: a linefy Connection with no stream, fed one frame per
 * request body, whose replies a collector turns into HTTP responses. Its
 * requests therefore keep the connection's order, and its end (socket
 * closed, close() deadline) aborts what still runs, as on a line socket.
 */
export class Peer {
  readonly handler: HttpHandler
  readonly socket: Socket
  /** null: over maxConnections, every request is answered 503. */
  readonly conn: Connection | null
  readonly injected: boolean
  /** Requests seen and not yet answered. */
  unanswered = 0
  /** Requests seen whose response is not yet all written to the socket. */
  pending = 0
  /** The response of the request whose body is being read. */
  reading: ServerResponse | null = null
  /** onConnection hooks still running: bodies wait for them. */
  waiting: Promise<void> | null = null
  /** A reply with Connection: close is out: later pipelined requests are left unanswered, as HTTP allows. */
  last = false
  /** Why an onConnection hook refused the connection. */
  failure: unknown = null
  /** Responses of the frames handed to the Connection and not yet answered; the first is frame `base`. */
  readonly responses: Array<ServerResponse | undefined> = []
  base = 0

  constructor (handler: HttpHandler, socket: Socket, refused: boolean, injected: boolean) {
    this.handler = handler
    this.socket = socket
    this.injected = injected
    if (refused) {
      this.conn = null
      return
    }
    const hooks = handler.hooks
    const conn = this.conn = new Connection(handler.state, null, handler.framing, [...hooks.onDisconnect, this.onGone], (seq, line) => handler.reply(this, seq, line))
    if (hooks.onConnection.length === 0) return
    let settled = false
    const waiting = new Promise<void>((resolve) => {
      runHooks(hooks.onConnection.slice(), conn, undefined, (err) => {
        settled = true
        this.waiting = null
        if (err !== null) {
          this.failure = err
          conn.log.warn({ err }, 'connection refused by an onConnection hook')
          conn.destroy()
        }
        resolve()
      })
    })
    // synchronous hooks have settled already
    if (!settled) this.waiting = waiting
  }

  /** The Connection ended (socket closed, close() deadline): nothing more is answered on it. */
  private readonly onGone = (): void => {
    if (this.injected) for (const res of this.responses) res?.destroy()
    else this.socket.destroy()
  }
}

function onFinish (this: Tagged<ServerResponse>): void {
  const peer = this[kPeer] as Peer
  peer.pending--
  // light-my-request finishes inside res.end(), which may be inside the Connection's own pump: end it after
  if (peer.injected) process.nextTick(destroy, peer.conn)
  // close() began while these replies were on their way: the connection is idle now
  else if (peer.handler.closing && peer.pending === 0 && !peer.last) peer.socket.destroySoon()
}

// one function for every socket rather than a closure each: idle connections stay small
function onSocketClose (this: Tagged<Socket>): void {
  const peer = this[kPeer] as Peer
  peer.handler.closed(peer)
}

function destroy (conn: Connection): void {
  conn.destroy()
}

/**
 * The HTTP side of the pipeline: routes each request by path and method,
 * reads the body (counted while it streams, never kept past maxLineBytes),
 * hands it to the peer's Connection as one frame and answers the reply.
 */
export class HttpHandler {
  readonly app: LinefyInstance
  readonly state: State
  readonly hooks: Hooks
  readonly framing: Framing
  readonly opts: Resolved
  /** TCP listeners check Host and Origin against these; null on unix sockets. */
  allowed: Set<string> | null = null
  port = 0
  closing = false
  private readonly peers = new Set<Peer>()
  private open = 0

  constructor (app: LinefyInstance, opts: Resolved) {
    this.app = app
    this.state = stateOf(app)
    const internal = app as LinefyInstance & { [kHooks]: Hooks, [kFraming]: Framing }
    this.hooks = internal[kHooks]
    this.framing = internal[kFraming]
    this.opts = opts
  }

  /** A TCP listener is bound: only these names, with this port, may reach it. */
  checkHosts (port: number): void {
    this.port = port
    this.allowed = new Set(this.opts.allowedHosts.flatMap((name) => port === 80 ? [name, `${name}:80`] : [`${name}:${port}`]))
  }

  connection (socket: Tagged<Socket>): void {
    const refused = this.open >= this.opts.maxConnections
    const peer = new Peer(this, socket, refused, false)
    socket[kPeer] = peer
    this.peers.add(peer)
    if (!refused) this.open++
    socket.on('close', onSocketClose)
  }

  /** The socket closed: its peer is gone, and with it whatever still runs for it. */
  closed (peer: Peer): void {
    this.peers.delete(peer)
    if (peer.conn === null) return
    this.open--
    peer.conn.destroy()
  }

  request (req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    this.serve((req.socket as Tagged<Socket>)[kPeer] as Peer, req, res, expectContinue)
  }

  /** One request with no socket (injectHttp): a connection of its own, ended with the reply. */
  inject (req: IncomingMessage, res: ServerResponse): Peer {
    const peer = new Peer(this, req.socket, false, true)
    this.serve(peer, req, res, false)
    return peer
  }

  /** close() began: idle connections end now, busy ones after their last reply. */
  beginClose (): void {
    this.closing = true
    for (const peer of this.peers) if (peer.pending === 0) peer.socket.destroySoon()
  }

  /** A request the parser could not take (malformed, too slow, headers too large). */
  clientError (err: NodeJS.ErrnoException, socket: Tagged<Socket>): void {
    const peer = socket[kPeer] as Peer
    let e: LinefyError
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') e = new codes.LINEFY_ERR_HTTP_TIMEOUT(this.opts.headersTimeout, this.opts.requestTimeout)
    else if (err.code === 'HPE_HEADER_OVERFLOW') e = new codes.LINEFY_ERR_HTTP_HEADERS_TOO_LARGE(this.opts.maxHeaderSize, this.opts.maxHeadersCount)
    else e = new codes.LINEFY_ERR_HTTP_BAD_REQUEST(err.code)
    const log = peer.conn?.log ?? this.state.log
    // the client left mid-request (reset, or its end with the request incomplete): an ordinary disconnect
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE') log.debug({ err }, 'client went away mid-request')
    else log[e.level]({ err }, 'bad HTTP request')
    // written straight to the socket, an answer must not overtake an earlier reply still on its way
    const inTurn = peer.pending === 0 || (peer.pending === 1 && peer.reading !== null)
    if (!socket.writable || !inTurn || err.code === 'ECONNRESET') {
      socket.destroy()
      return
    }
    const status = STATUS[e.code] as number
    const body = errorBody(e)
    socket.end(`HTTP/1.1 ${status} ${REASON[status] as string}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    socket.destroySoon()
  }

  /** The Connection answered frame `seq`: the reply, or undefined for a notification. */
  reply (peer: Peer, seq: number, line: string | undefined): void {
    // replies come in frame order unless perConnection > 1: the queue is kept from its first unanswered frame
    const responses = peer.responses
    const i = seq - peer.base
    const res = responses[i] as ServerResponse
    responses[i] = undefined
    if (i === 0) {
      let n = 1
      while (n < responses.length && responses[n] === undefined) n++
      responses.splice(0, n)
      peer.base += n
    }
    // the client went away: the request was dropped, nobody is owed an answer
    if ((peer.conn as Connection).destroyed) return
    if (line === undefined) this.send(peer, res, 204, undefined)
    else this.send(peer, res, 200, line)
  }

  private serve (peer: Peer, req: IncomingMessage, res: Tagged<ServerResponse>, expectContinue: boolean): void {
    peer.unanswered++
    peer.pending++
    res[kPeer] = peer
    res.once('finish', onFinish)
    if (peer.last) return
    if (peer.conn === null) return this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_TOO_MANY_CONNECTIONS(this.opts.maxConnections), true)
    if (req.rawHeaders.length > 2 * this.opts.maxHeadersCount) {
      return this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_HEADERS_TOO_LARGE(this.opts.maxHeaderSize, this.opts.maxHeadersCount), true)
    }
    if (this.allowed !== null && !peer.injected) {
      const denied = this.denied(req)
      if (denied !== null) return this.refuse(peer, res, denied, expectContinue)
    }
    const url = req.url as string
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (path === this.opts.endpoint) {
      if (req.method !== 'POST') return this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_METHOD(req.method, path, 'POST'), expectContinue, 'POST')
      const type = req.headers['content-type']
      if (type === undefined || !JSON_TYPE.test(type)) return this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_MEDIA_TYPE(type ?? '(none)'), expectContinue)
      const max = this.state.opts.maxLineBytes
      const length = req.headers['content-length']
      // refused before a byte of the body is read
      if (length !== undefined && Number(length) > max) return this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_BODY_TOO_LARGE(max), true)
      if (peer.unanswered > this.state.opts.maxBacklog) return this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_PIPELINE_FULL(this.state.opts.maxBacklog), expectContinue)
      if (expectContinue) res.writeContinue()
      return this.read(peer, req, res, max)
    }
    if (path === this.opts.healthEndpoint && this.app.hasDecorator('lifecycle')) {
      if (req.method !== 'GET') return this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_METHOD(req.method, path, 'GET'), expectContinue, 'GET')
      return this.send(peer, res, 200, JSON.stringify((this.app as LinefyInstance & { lifecycle: Lifecycle }).lifecycle.status()))
    }
    this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_NOT_FOUND(path, this.opts.endpoint), expectContinue)
  }

  /** DNS rebinding: a web page may reach a TCP port on this machine, but never under a name of ours. */
  private denied (req: IncomingMessage): LinefyError | null {
    const allowed = this.allowed as Set<string>
    const host = req.headers.host
    if (host !== undefined && !allowed.has(host.toLowerCase())) return new codes.LINEFY_ERR_HTTP_FORBIDDEN('Host', host, this.port)
    const origin = req.headers.origin
    if (origin === undefined) return null
    let originHost: string | null = null
    try {
      originHost = new URL(origin).host
    } catch {}
    if (originHost === null || !allowed.has(originHost)) return new codes.LINEFY_ERR_HTTP_FORBIDDEN('Origin', origin, this.port)
    return null
  }

  private read (peer: Peer, req: IncomingMessage, res: ServerResponse, max: number): void {
    peer.reading = res
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return
      size += chunk.length
      if (size <= max) {
        chunks.push(chunk)
        return
      }
      // answered at once; what else the client sends is read and dropped until the connection ends
      tooLarge = true
      chunks.length = 0
      peer.reading = null
      this.refuse(peer, res, new codes.LINEFY_ERR_HTTP_BODY_TOO_LARGE(max), true)
    })
    req.on('end', () => {
      if (tooLarge) return
      peer.reading = null
      this.deliver(peer, res, chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size))
    })
  }

  private deliver (peer: Peer, res: ServerResponse, body: Buffer): void {
    const waiting = peer.waiting
    if (waiting !== null) {
      waiting.then(() => this.deliver(peer, res, body))
      return
    }
    const conn = peer.conn as Connection
    if (conn.destroyed) {
      res.destroy()
      return
    }
    this.state.activity.lastActivity = Date.now()
    // frames are numbered in the order they are handed over, and only this hands them over
    if (peer.responses.length === 0) peer.base = conn.framesRead
    peer.responses.push(res)
    conn.frame(body)
  }

  private refuse (peer: Peer, res: ServerResponse, err: LinefyError, close: boolean, allow?: string): void {
    const log = peer.conn?.log ?? this.state.log
    if (log.isLevelEnabled(err.level)) log[err.level]({ code: err.code }, err.message)
    this.send(peer, res, STATUS[err.code] as number, errorBody(err), close, allow)
  }

  private send (peer: Peer, res: ServerResponse, status: number, body: string | undefined, close = false, allow?: string): void {
    // a flat list of names and values: Node takes it as it is, without building an object of headers
    const headers: Array<string | number> = body === undefined ? [] : ['content-type', 'application/json', 'content-length', Buffer.byteLength(body)]
    if (allow !== undefined) headers.push('allow', allow)
    if (--peer.unanswered === 0 && this.closing) close = true
    if (close) {
      headers.push('connection', 'close')
      peer.last = true
    }
    res.writeHead(status, headers as unknown as OutgoingHttpHeaders)
    res.end(body)
  }
}

/**
 * server.close() (close() stopping the listener) would also destroy every
 * connection Node deems idle, which includes one whose last reply is still
 * being written to a slow reader: that reply would be cut. linefy ends idle
 * connections itself, once their replies are out (HttpHandler.beginClose).
 */
class HttpServer extends Server {
  override closeIdleConnections (): void {}
}

const handlers = new WeakMap<State, HttpHandler>()

/** The handler injectHttp() runs requests through: the first HTTP listener's, else one with the defaults. */
export function httpHandlerOf (app: LinefyInstance): HttpHandler {
  const state = stateOf(app)
  let handler = handlers.get(state)
  if (handler === undefined) {
    handler = new HttpHandler(app, resolveOptions({}))
    handlers.set(state, handler)
  }
  return handler
}

function formatAddress (a: AddressInfo): string {
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
}

/**
 * JSON-RPC over HTTP POST, on a unix socket file (every rule of the unix
 * transport) or TCP (127.0.0.1 unless told otherwise), through the same
 * pipeline as a line: router, hooks, schemas, gate, cancellation, logs.
 * Slow clients are cut off by header and request timeouts, headers and
 * bodies are capped, and so are concurrent connections. close() drains it
 * like the line transports.
 */
export default plugin<HttpOptions>(async function httpTransport (app, opts) {
  const o = resolveOptions(opts)
  const tcp = opts.path === undefined
  if (!tcp && (opts.host !== undefined || opts.port !== undefined)) throw new codes.LINEFY_ERR_INVALID_OPTION('of the HTTP transport', 'takes a path or host/port, not both')
  const binding = tcp ? tcpBinding({ host: opts.host, port: opts.port }) : unixBinding({ path: opts.path as string, mode: opts.mode })
  const handler = new HttpHandler(app, o)
  const state = stateOf(app)
  if (!handlers.has(state)) handlers.set(state, handler)

  const server = new HttpServer({
    maxHeaderSize: o.maxHeaderSize,
    headersTimeout: o.headersTimeout,
    requestTimeout: o.requestTimeout,
    keepAliveTimeout: o.keepAliveTimeout,
    // how often the two timeouts are checked: Node's 30 s default would let a slow client stay that much longer
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(o.headersTimeout / 4)))
  })
  // one more than accepted, so that a request over the count is seen and refused rather than cut silently
  server.maxHeadersCount = o.maxHeadersCount + 1
  server.on('connection', (socket: Socket) => handler.connection(socket))
  server.on('request', (req, res) => handler.request(req, res, false))
  // a body is awaited only once its headers passed: a refused one is never sent
  server.on('checkContinue', (req, res) => handler.request(req, res, true))
  server.on('clientError', (err, socket) => handler.clientError(err, socket as Socket))
  app.addHook('preClose', () => handler.beginClose())

  const http: Binding = {
    async bind (s) {
      const address = await binding.bind(s)
      if (typeof address === 'string') return `http+unix:${address}`
      handler.checkHosts(address.port)
      return formatAddress(address)
    }
  }
  if (binding.release !== undefined) http.release = binding.release
  await serveNet(app, http, server)
}, { name: 'linefy-http' })
