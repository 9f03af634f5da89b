import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { LineConnection } from '../connection/connection.js'
import { codes, type LinefyError } from '../core/errors.js'
import type { LinefyInstance } from '../core/instance.js'
import { internal } from '../core/internal.js'
import type { State } from '../core/state.js'
import { kFraming, kHooks, kState } from '../core/symbols.js'
import type { Framing } from '../framing/framing.js'
import type { Hooks } from '../request/hooks.js'
import type { Lifecycle } from '../../plugins/lifecycle.js'
import { errorBody, JSON_TYPE, REASON, resolveOptions, STATUS, type Resolved } from './options.js'
import { kPeer, onFinish, onSocketClose, Peer, type PeerOwner, type Tagged } from './peer.js'
import { httpRoute } from './routes.js'

/**
 * The HTTP side of the pipeline: routes each request by path and method,
 * reads the body (counted while it streams, never kept past maxLineBytes),
 * hands it to the peer's Connection as one frame and answers the reply.
 */
export class HttpHandler implements PeerOwner {
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
    const self = internal(app)
    this.state = self[kState]
    this.hooks = self[kHooks]
    this.framing = self[kFraming]
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
    if ((peer.conn as LineConnection).destroyed) return
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
    const route = httpRoute(this.state, path)
    if (route !== undefined) {
      // its response is the route's own: the peer waits for it to finish, not for a reply
      peer.unanswered--
      return route(req, res, peer.injected)
    }
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
    const conn = peer.conn as LineConnection
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

const handlers = new WeakMap<State, HttpHandler>()

/** The first HTTP listener registered serves injectHttp() too. */
export function firstHandler (app: LinefyInstance, handler: HttpHandler): void {
  const state = internal(app)[kState]
  if (!handlers.has(state)) handlers.set(state, handler)
}

/** The handler injectHttp() runs requests through: the first HTTP listener's, else one with the defaults. */
export function httpHandlerOf (app: LinefyInstance): HttpHandler {
  const state = internal(app)[kState]
  let handler = handlers.get(state)
  if (handler === undefined) {
    handler = new HttpHandler(app, resolveOptions({}))
    handlers.set(state, handler)
  }
  return handler
}
