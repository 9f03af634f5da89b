import { isUtf8 } from 'node:buffer'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { asciiJson } from './ascii-json.js'
import { codes, RpcCode } from './errors.js'
import type { Framing, Decoder, FrameSink } from './framing.js'
import { runHooks, type AnyHook } from './hooks.js'
import { abortWith, dispatch, dropRequest, errorLine, idJsonOf } from './pipeline.js'
import type { Request, Sink } from './request.js'
import type { State } from './state.js'

interface Entry {
  seq: number
  msg: unknown
  // a reply decided at read time (parse error, over-long line), sent in turn
  line: string | null
  cancelled: boolean
  // read after close() began: refused, never run
  late: boolean
}

const ORDINARY_DISCONNECT = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED'])
const NOTHING = Buffer.alloc(0)

function isCancelNotice (msg: unknown): boolean {
  if (msg === null || typeof msg !== 'object') return false
  const m = msg as { jsonrpc?: unknown, method?: unknown, id?: unknown, params?: unknown }
  // an invalid envelope is no cancel: it goes on to be answered -32600
  if (m.params !== undefined && (m.params === null || typeof m.params !== 'object')) return false
  return m.jsonrpc === '2.0' && m.id === undefined && (m.method === 'notifications/cancelled' || m.method === '$/cancelRequest')
}

function cancelTarget (msg: { method: string, params?: { requestId?: unknown, id?: unknown } }): unknown {
  return msg.method === '$/cancelRequest' ? msg.params?.id : msg.params?.requestId
}

/** A line that must be answered without running: echo its id when it has one. */
function refusal (msg: unknown, message: string, code: number): string | undefined {
  if (msg !== null && typeof msg === 'object' && !Array.isArray(msg)) {
    const m = msg as { jsonrpc?: unknown, id?: unknown }
    if (m.jsonrpc === '2.0' && m.id === undefined) return undefined
  }
  return errorLine(idJsonOf(msg), { code, message })
}

export type Collector = (seq: number, line: string | undefined) => void

/**
 * One client: frames in, replies out. Requests are started in the order they
 * were read, at most `perConnection` at a time (1 by default, so replies keep
 * that order). Reading pauses while the peer is not draining our writes or
 * while too many read lines wait to start, so memory stays bounded.
 */
export class Connection implements Sink, FrameSink {
  readonly id: number
  readonly state: State
  readonly stream: Duplex | null
  private readonly decoder: Decoder
  private readonly framing: Framing
  private readonly collector: Collector | null
  private readonly onDisconnectHooks: AnyHook[]
  private readonly perConnection: number
  // asciiOnly: each reply escaped before framing, or each write once when the framing allows
  private readonly asciiReplies: boolean
  private readonly asciiWrites: boolean
  private backlog: Array<Entry | undefined> = []
  private head = 0
  private running = 0
  private seq = 0
  private out = ''
  private pumping = false
  private blocked = false
  private paused = false
  private readEnded = false
  private ending = false
  // close()'s grace period is over: what was read and not started is refused
  private expired = false
  // started and not finished; a handful at most, so an array beats a Map
  private readonly inflight: Request[] = []
  private logger: Logger | null = null
  /** Frames read and not yet answered. */
  pending = 0
  closing = false
  destroyed = false

  constructor (state: State, stream: Duplex | null, framing: Framing, onDisconnect: AnyHook[], collector: Collector | null) {
    this.id = state.nextConnectionId++
    this.state = state
    this.stream = stream
    this.framing = framing
    this.decoder = framing.decoder(state.opts.maxLineBytes, this)
    this.collector = collector
    this.onDisconnectHooks = onDisconnect
    this.perConnection = state.opts.perConnection
    this.asciiWrites = state.opts.asciiOnly && framing.asciiTransparent === true
    this.asciiReplies = state.opts.asciiOnly && !this.asciiWrites
    state.connections.add(this)
    state.activity.connections++
    if (stream !== null) {
      stream.on('error', this.onError)
      stream.on('close', this.onClose)
    }
  }

  /** How many frames have been read so far. */
  get framesRead (): number {
    return this.seq
  }

  get log (): Logger {
    let log = this.logger
    if (log === null) log = this.logger = this.state.log.child({ conn: this.id })
    return log
  }

  /** Begins reading; transports call this through app.serve() once onConnection hooks pass. */
  start (): void {
    const stream = this.stream
    if (stream === null || this.destroyed) return
    stream.on('data', this.onData)
    stream.on('end', this.onEnd)
    stream.on('drain', this.onDrain)
    this.updateFlow()
  }

  /** Feeds bytes read from the stream, or from inject(). */
  push (chunk: Buffer): void {
    this.state.activity.lastActivity = Date.now()
    this.decoder.push(chunk)
  }

  /** Pushes a JSON-RPC notification to the client. False once the connection is ending, and for inject(), which has no client to push to. */
  notify (method: string, params?: unknown): boolean {
    if (this.stream === null || this.destroyed || this.ending) return false
    const msg = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }
    this.send(JSON.stringify(msg))
    return true
  }

  // FrameSink

  frame (buf: Buffer, ascii?: boolean): void {
    const seq = this.seq++
    this.pending++
    if (ascii !== true && !isUtf8(buf)) return this.enqueue(seq, undefined, errorLine('null', { code: RpcCode.PARSE_ERROR, message: 'parse error: line is not valid UTF-8' }))
    let msg: unknown
    try {
      msg = JSON.parse(buf.toString())
    } catch (err) {
      return this.enqueue(seq, undefined, errorLine('null', { code: RpcCode.PARSE_ERROR, message: new codes.LINEFY_ERR_PARSE((err as Error).message).message }))
    }
    if (isCancelNotice(msg) && !this.state.contexts.has((msg as { method: string }).method)) {
      this.cancel(cancelTarget(msg as { method: string }))
      this.pending--
      if (this.collector !== null) this.collector(seq, undefined)
      return
    }
    // nothing waits ahead of it: start it now, without a backlog entry
    if (this.head === this.backlog.length && this.running < this.perConnection && !this.blocked && !this.closing && !this.pumping) {
      this.running++
      dispatch(this.state, this, this, seq, msg, false)
      return
    }
    this.enqueue(seq, msg, null)
  }

  oversize (bytes: number): void {
    const err = new codes.LINEFY_ERR_LINE_TOO_LONG(this.state.opts.maxLineBytes)
    this.log.warn({ bytes }, 'over-long line skipped')
    const seq = this.seq++
    this.pending++
    this.enqueue(seq, undefined, errorLine('null', { code: err.rpcCode, message: err.message }))
  }

  malformed (reason: string): void {
    const err = new codes.LINEFY_ERR_MALFORMED_FRAME(reason)
    this.log.warn({ reason }, 'malformed frame; closing the connection')
    const seq = this.seq++
    this.pending++
    this.enqueue(seq, undefined, errorLine('null', { code: err.rpcCode, message: err.message }))
    this.readEnded = true
    this.maybeEnd()
  }

  // Sink: every frame ends here exactly once, with its reply or none

  complete (seq: number, line: string | undefined): void {
    this.running--
    this.pending--
    if (this.collector !== null) this.collector(seq, line)
    else if (line !== undefined) this.send(line)
    this.pump()
    // reading paused on a full backlog resumes as it empties, not only on 'drain'
    if (this.paused) this.updateFlow()
    this.maybeEnd()
  }

  track (req: Request): void {
    this.inflight.push(req)
  }

  /** Called once per request, by finish(). */
  untrack (req: Request): void {
    const inflight = this.inflight
    const i = inflight.indexOf(req)
    const last = inflight.pop() as Request
    if (i < inflight.length) inflight[i] = last
  }

  /** Cancels a running or queued request; a line not yet started is answered -32800 in its turn. */
  cancel (id: unknown): void {
    // a notice without a usable target must not match the lines that have no id
    if (typeof id !== 'string' && typeof id !== 'number') return
    const req = this.inflight.find((r) => r.id === id)
    if (req !== undefined) return abortWith(req, new codes.LINEFY_ERR_CANCELLED())
    for (let i = this.head; i < this.backlog.length; i++) {
      const e = this.backlog[i] as Entry
      if (e.line === null && (e.msg as { id?: unknown } | null)?.id === id) {
        e.cancelled = true
        return
      }
    }
  }

  /** close() began: read nothing more, run what was read, end when idle. */
  beginClose (): void {
    this.closing = true
    this.updateFlow()
    this.pump()
    this.maybeEnd()
  }

  /** The close() grace period is over: abort what still runs, refuse what has not started. */
  expire (): void {
    this.expired = true
    for (const req of this.inflight.slice()) abortWith(req, new codes.LINEFY_ERR_SHUTTING_DOWN())
  }

  destroy (): void {
    if (this.stream !== null) this.stream.destroy()
    else this.onClose()
  }

  private enqueue (seq: number, msg: unknown, line: string | null): void {
    this.backlog.push({ seq, msg, line, cancelled: false, late: this.closing })
    this.pump()
    this.updateFlow()
  }

  private pump (): void {
    if (this.pumping || this.destroyed) return
    this.pumping = true
    const backlog = this.backlog
    while (this.head < backlog.length && this.running < this.perConnection && !this.blocked) {
      const e = backlog[this.head] as Entry
      backlog[this.head++] = undefined
      this.running++
      if (e.line !== null) this.complete(e.seq, e.line)
      else if (e.cancelled) this.complete(e.seq, refusal(e.msg, 'request cancelled', RpcCode.CANCELLED))
      else if (e.late || this.expired) this.complete(e.seq, refusal(e.msg, 'server shutting down', RpcCode.SHUTTING_DOWN))
      else dispatch(this.state, this, this, e.seq, e.msg, false)
    }
    if (this.head !== 0 && this.head === backlog.length) {
      backlog.length = 0
      this.head = 0
    }
    this.pumping = false
  }

  private updateFlow (): void {
    const stream = this.stream
    if (stream === null || this.destroyed) return
    // once ending, reading resumes only to discard: the peer's EOF can arrive, and
    // closing never leaves unread bytes behind (TCP would answer them with a reset)
    const stop = this.blocked || (this.closing && !this.ending) || this.backlog.length - this.head >= this.state.opts.maxBacklog
    if (stop && !this.paused) {
      this.paused = true
      stream.pause()
    } else if (!stop && this.paused) {
      this.paused = false
      stream.resume()
    }
  }

  private send (line: string): void {
    if (this.destroyed) return
    if (this.asciiReplies) line = asciiJson(line)
    if (this.out === '') {
      this.out = this.framing.encode(line)
      process.nextTick(flush, this)
    } else {
      this.out += this.framing.encode(line)
    }
    // a burst of quick replies must not pile up past what the stream buffers:
    // write now, so a peer that does not read stops the pump (blocked) at once
    if (this.out.length >= (this.stream as Duplex).writableHighWaterMark) this.flush()
  }

  /** Writes the replies gathered this tick in one write. */
  flush (): void {
    const s = this.out
    if (s === '' || this.destroyed) return
    this.out = ''
    if (!(this.stream as Duplex).write(this.asciiWrites ? asciiJson(s) : s)) {
      this.blocked = true
      this.updateFlow()
    }
  }

  private maybeEnd (): void {
    if (this.ending || this.destroyed || !(this.readEnded || this.closing) || this.running !== 0 || this.head !== this.backlog.length) return
    this.ending = true
    const stream = this.stream
    if (stream === null) return
    this.flush()
    this.updateFlow()
    // every reply is with the OS once 'finish' fires; a peer that keeps its side open must not hold close() up
    stream.end(() => stream.destroy())
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.ending) this.push(chunk)
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
    this.out = ''
    const state = this.state
    state.connections.delete(this)
    state.activity.connections--
    this.backlog = []
    this.head = 0
    for (const req of this.inflight.slice()) dropRequest(req, new codes.LINEFY_ERR_CLIENT_GONE())
    if (this.onDisconnectHooks.length > 0) runHooks(this.onDisconnectHooks, this, undefined, afterOnDisconnect)
    state.onConnectionClosed?.()
  }
}

function flush (conn: Connection): void {
  conn.flush()
}

function afterOnDisconnect (err: unknown, conn: Connection): void {
  if (err !== null) conn.log.error({ err }, 'onDisconnect hook failed')
}
