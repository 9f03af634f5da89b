import { isUtf8 } from 'node:buffer'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { codes, RpcCode } from '../core/errors.js'
import type { Framing, Decoder, FrameSink } from '../framing/framing.js'
import { runOnDisconnectHooks, type BoundHooks } from '../request/hooks.js'
import { codedLine, errorLine } from '../request/reply.js'
import { Backlog, refusal } from './backlog.js'
import type { Compat } from '../core/options.js'
import { dispatchNow, dispatchOwn } from './dispatch.js'
import { InFlightList } from './in-flight.js'
import { Outbox } from './outbox.js'
import { Outgoing, type RequestOptions } from './outgoing.js'
import type { Collector, Connection, ConnectionHost, DispatchOptions, InFlight, Route, Sink } from './types.js'

const ORDINARY_DISCONNECT = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED'])
const NOTHING = Buffer.alloc(0)
const NOT_UTF8 = errorLine('null', { code: RpcCode.PARSE_ERROR, message: 'parse error: line is not valid UTF-8' })

/**
 * One client: frames in, replies out. Requests are started in the order they
 * were read, at most `perConnection` at a time (1 by default, so replies keep
 * that order). Reading pauses while the peer is not draining our writes or
 * while too many read lines wait to start, so memory stays bounded.
 */
export class LineConnection implements Connection, Sink, FrameSink {
  readonly id: number
  readonly host: ConnectionHost
  readonly stream: Duplex | null
  private readonly router: Route
  private readonly decoder: Decoder
  private readonly collector: Collector | null
  private readonly onDisconnectHooks: BoundHooks | null
  perConnection: number
  private readonly backlog = new Backlog()
  private running = 0
  framesRead = 0
  private pumping = false
  private blocked = false
  // Stryker disable next-line BooleanLiteral: equivalent, updateFlow() runs before the first read (start, beginClose) and settles it
  private paused = false
  private readEnded = false
  private ending = false
  // close()'s grace period is over: what was read and not started is refused
  private expired = false
  private readonly inflight: InFlightList
  private readonly outgoing: Outgoing
  private readonly outbox: Outbox | null
  private logger: Logger | null = null
  pending = 0
  compat: Compat
  answerCancelled = true
  closing = false
  destroyed = false

  constructor (host: ConnectionHost, stream: Duplex | null, framing: Framing, onDisconnect: BoundHooks | null, collector: Collector | null) {
    this.id = host.nextConnectionId++
    this.host = host
    this.stream = stream
    this.router = host.router
    this.decoder = framing.decoder(host.opts.maxLineBytes, this)
    this.collector = collector
    this.onDisconnectHooks = onDisconnect
    this.perConnection = host.opts.perConnection
    this.inflight = new InFlightList(host)
    this.outgoing = new Outgoing(this.pushOwn)
    this.outbox = stream === null ? null : new Outbox(stream, framing, host.opts.asciiOnly, this.onBlocked)
    this.compat = host.opts.compat
    host.connections.add(this)
    host.activity.connections++
    if (stream !== null) {
      stream.on('error', this.onError)
      stream.on('close', this.onClose)
    }
  }

  get log (): Logger {
    let log = this.logger
    if (log === null) log = this.logger = this.host.log.child({ conn: this.id })
    return log
  }

  /** Begins reading; transports call this through app.serve() once onConnection hooks pass. */
  start (): void {
    // a connection closed while its hooks ran has a stream that reads nothing more
    const stream = this.stream as Duplex
    stream.on('data', this.onData)
    stream.on('end', this.onEnd)
    stream.on('drain', this.onDrain)
    this.updateFlow()
  }

  /** Feeds bytes read from the stream, or from inject(). */
  push (chunk: Buffer): void {
    this.host.activity.lastActivity = Date.now()
    this.decoder.push(chunk)
  }

  notify (method: string, params?: unknown): boolean { return this.outgoing.notify(method, params) }
  request (method: string, params?: unknown, opts: RequestOptions = {}): Promise<unknown> { return this.outgoing.request(method, params, opts) }
  dispatch (msg: unknown, opts: DispatchOptions = {}): Promise<string | undefined> { return dispatchOwn(this.router, this, msg, opts) }
  dispatchNow (msg: unknown, opts: DispatchOptions = {}): string | undefined | Promise<string | undefined> { return dispatchNow(this.router, this, msg, opts) }
  answer (id: unknown, error: { code?: unknown, message?: unknown, data?: unknown } | undefined, result: unknown): boolean { return this.outgoing.answer(id, error, result) }

  // FrameSink

  frame (message: Buffer | string, ascii?: boolean): void {
    const seq = this.framesRead++
    this.pending++
    if (typeof message !== 'string') {
      if (ascii !== true && !isUtf8(message)) return this.enqueue(seq, undefined, NOT_UTF8)
      message = message.toString()
    }
    let msg: unknown
    try {
      msg = JSON.parse(message)
    } catch (err) {
      return this.enqueue(seq, undefined, codedLine(new codes.LINEFY_ERR_PARSE((err as Error).message)))
    }
    if (this.router.intercept(msg, this)) {
      this.pending--
      if (this.collector !== null) this.collector(seq, undefined)
      return
    }
    // nothing waits ahead of it: start it now, without a backlog entry
    // Stryker disable next-line BlockStatement: equivalent, enqueue() then starts it at once through the backlog
    if (this.backlog.waiting === 0 && this.running < this.perConnection && !this.blocked && !this.closing && !this.pumping) {
      this.running++
      this.router.dispatch(msg, this, this, seq)
      return
    }
    this.enqueue(seq, msg, null)
  }

  oversize (bytes: number): void {
    this.log.warn({ bytes }, 'over-long line skipped')
    this.pending++
    this.enqueue(this.framesRead++, undefined, codedLine(new codes.LINEFY_ERR_LINE_TOO_LONG(this.host.opts.maxLineBytes)))
  }

  malformed (reason: string): void {
    this.log.warn({ reason }, 'malformed frame; closing the connection')
    this.pending++
    this.enqueue(this.framesRead++, undefined, codedLine(new codes.LINEFY_ERR_MALFORMED_FRAME(reason)))
    this.readEnded = true
    this.maybeEnd()
  }

  /** Sink: every frame ends here exactly once, with its reply or none. */
  complete (seq: number, line: string | undefined): void {
    this.running--
    this.pending--
    if (this.collector !== null) this.collector(seq, line)
    else if (line !== undefined) this.send(line)
    if (this.backlog.waiting !== 0) this.pump()
    // reading paused on a full backlog resumes as it empties, not only on 'drain'
    if (this.paused) this.updateFlow()
    this.maybeEnd()
  }

  // the requests started here, until they end: what cancel(), expire() and a disconnect reach
  track (req: InFlight): void { this.inflight.add(req) }
  untrack (req: InFlight): void { this.inflight.remove(req) }

  cancel (id: unknown): void {
    // a notice without a usable target must not match the lines that have no id
    if (typeof id !== 'string' && typeof id !== 'number') return
    if (!this.inflight.cancel(id, this.answerCancelled)) this.backlog.cancel(id)
  }

  beginClose (): void {
    this.closing = true
    this.updateFlow()
    this.pump()
    this.maybeEnd()
  }

  expire (): void {
    this.expired = true
    this.inflight.expire()
  }

  destroy (): void {
    if (this.stream !== null) this.stream.destroy()
    else this.onClose()
  }

  private enqueue (seq: number, msg: unknown, line: string | null): void {
    this.backlog.push(seq, msg, line, this.closing)
    this.pump()
    this.updateFlow()
  }

  private pump (): void {
    if (this.pumping || this.destroyed) return
    this.pumping = true
    while (this.running < this.perConnection && !this.blocked) {
      const e = this.backlog.shift()
      if (e === undefined) break
      this.running++
      if (e.line !== null) this.complete(e.seq, e.line)
      else if (e.cancelled) this.complete(e.seq, this.answerCancelled ? refusal(e.msg, 'request cancelled', RpcCode.CANCELLED) : undefined)
      else if (e.late || this.expired) this.complete(e.seq, refusal(e.msg, 'server shutting down', RpcCode.SHUTTING_DOWN))
      else this.router.dispatch(e.msg, this, this, e.seq)
    }
    this.pumping = false
  }

  private updateFlow (): void {
    const stream = this.stream
    if (stream === null || this.destroyed) return
    // once ending, reading resumes only to discard: the peer's EOF can arrive, and
    // closing never leaves unread bytes behind (TCP would answer them with a reset)
    const stop = this.blocked || (this.closing && !this.ending) || this.backlog.waiting >= this.host.opts.maxBacklog
    if (stop && !this.paused) {
      this.paused = true
      stream.pause()
    } else if (!stop && this.paused) {
      this.paused = false
      stream.resume()
    }
  }

  // a request still running at a disconnect ends without a reply (dropRequest), so nothing is sent once destroyed
  private send (line: string): void {
    (this.outbox as Outbox).add(line)
  }

  private maybeEnd (): void {
    if (this.ending || this.destroyed || !(this.readEnded || this.closing) || this.running !== 0 || this.backlog.waiting !== 0) return
    this.ending = true
    const stream = this.stream
    if (stream === null) return
    ;(this.outbox as Outbox).flush()
    this.updateFlow()
    // every reply is with the OS once 'finish' fires; a peer that keeps its side open must not hold close() up
    stream.end(() => stream.destroy())
  }

  // the server's own messages (notifications, requests) have no turn: they go out at once
  private readonly pushOwn = (line: string): boolean => {
    if (this.stream === null || this.destroyed || this.ending) return false
    this.send(line)
    return true
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.ending) return
    const outbox = this.outbox as Outbox
    outbox.hold()
    try { this.push(chunk) } finally { outbox.release() }
  }

  private readonly onEnd = (): void => {
    this.decoder.end()
    this.readEnded = true
    this.maybeEnd()
    // EOF is either a half-close (replies still wanted) or the peer gone. An
    // empty write tells them apart without a byte on the wire: it fails with
    // EPIPE only once the peer closed entirely (unix sockets), and that error
    // closes the connection, aborting what still runs for nobody
    if (!this.ending) (this.stream as Duplex).write(NOTHING)
  }

  private readonly onBlocked = (): void => {
    this.blocked = true
    this.updateFlow()
  }

  private readonly onDrain = (): void => {
    this.blocked = false
    this.pump()
    this.updateFlow()
    this.maybeEnd()
  }

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (ORDINARY_DISCONNECT.has(err.code as string)) this.log.debug({ err }, 'connection reset by peer')
    else this.log.warn({ err }, 'connection error')
  }

  private readonly onClose = (): void => {
    if (this.destroyed) return
    this.destroyed = true
    this.outbox?.discard()
    this.host.connections.delete(this)
    this.host.activity.connections--
    this.backlog.clear()
    this.inflight.drop()
    this.outgoing.closeAll()
    if (this.onDisconnectHooks !== null) runOnDisconnectHooks(this.onDisconnectHooks, this, undefined, afterOnDisconnect)
    this.host.onConnectionClosed?.()
  }
}

function afterOnDisconnect (err: unknown, conn: LineConnection): void {
  if (err !== null) conn.log.error({ err }, 'onDisconnect hook failed')
}
