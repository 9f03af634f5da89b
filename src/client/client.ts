import { EventEmitter } from 'node:events'
import { connect as netConnect, type Socket } from 'node:net'
import type { Signature, Typed } from '../core/api.js'
import { codes, RpcCode, RpcError } from '../core/errors.js'
import type { LinefyInstance } from '../core/instance.js'
import type { Framing } from '../framing/framing.js'
import { ndjsonFraming } from '../../plugins/ndjson.js'
import { lineReader } from './lines.js'

export { RpcError }

/** Replies up to 64 MiB by default: far past any sane reply, short of what a runaway daemon could make us hold. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024

export interface ConnectOptions {
  /** Longest reply accepted (default 64 MiB); past it every pending call rejects with -32002 and the connection closes. */
  maxReplyBytes?: number
  /** The daemon's framing (default NDJSON; contentLengthFraming for a daemon that registered contentLength). */
  framing?: Framing
}

export interface CallOptions {
  /** Milliseconds before the call rejects with -32003 and the daemon is told to cancel it. */
  timeout?: number
  /** Aborting rejects the call with -32800 and tells the daemon to cancel it. */
  signal?: AbortSignal
}

/** Any method, any params, any result: the table of a client given no type. */
export type AnyApi = Record<string, Signature>

/**
 * The method table a client is typed with: an instance type's
 * (`connect<typeof app>`), or a table itself (`MethodsOf<typeof app>`, or
 * the `Api` that `linefy types` writes).
 */
export type ApiOf<T> = T extends Typed<infer A> ? A : T extends LinefyInstance ? {} : T

type ParamsOf<S> = S extends { params: infer P } ? P : unknown
type ResultOf<S> = S extends { result: infer R } ? R : unknown
// params may be left out only where the method takes none
type CallArgs<P> = undefined extends P ? [params?: P, opts?: CallOptions] : [params: P, opts?: CallOptions]

interface Pending {
  // a control line's reply carries no id
  kind: 'call' | 'control'
  id: number | null
  settled: boolean
  resolve: (value: never) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout | null
  signal: AbortSignal | undefined
  onAbort: (() => void) | null
}

// the turn of a notification: a seed-mode daemon refuses it with an id-null error
interface Notice {
  kind: 'notify'
}

const NOTICE: Notice = { kind: 'notify' }

interface Message {
  jsonrpc?: unknown
  id?: unknown
  method?: unknown
  params?: unknown
  result?: unknown
  error?: { code: number, message: string, data?: unknown }
}

function lost (why: string): RpcError {
  return new RpcError(RpcCode.TRANSPORT_LOST, new codes.LINEFY_ERR_TRANSPORT_LOST(why).message)
}

/**
 * One connection to a linefy daemon. Events: 'notification' (method, params)
 * for what the server pushes, 'close' once the socket is gone.
 */
export class Client<T = AnyApi> extends EventEmitter {
  readonly socket: Socket
  private readonly framing: Framing
  private nextId = 1
  private readonly calls = new Map<number, Pending>()
  // everything the daemon still owes a reply for, in the order it was sent:
  // the daemon answers one connection in order, which is how a control reply
  // (no id) or an error about an unreadable line (id null) finds its request
  private order: Array<Pending | Notice> = []
  private closed = false

  constructor (socket: Socket, opts: ConnectOptions = {}) {
    super()
    this.socket = socket
    this.framing = opts.framing ?? ndjsonFraming
    const lines = lineReader(this.framing, opts.maxReplyBytes ?? MAX_REPLY_BYTES, {
      line: (line) => this.onLine(line),
      broken: (why) => this.fail(lost(why))
    })
    socket.on('data', (chunk: Buffer) => lines.push(chunk))
    socket.on('end', () => lines.end())
    // the 'close' that follows says what matters: every pending call is lost
    socket.on('error', () => {})
    socket.on('close', () => this.onClose())
  }

  /** Calls a method; resolves with its result, rejects with an RpcError. */
  call<K extends keyof ApiOf<T> & string> (method: K, ...args: CallArgs<ParamsOf<ApiOf<T>[K]>>): Promise<ResultOf<ApiOf<T>[K]>>
  call (method: string, params?: unknown, opts: CallOptions = {}): Promise<unknown> {
    const id = this.nextId++
    const msg = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }
    return this.send('call', id, msg, opts)
  }

  /** Sends a notification: no id, no reply. */
  notify (method: string, params?: unknown): void {
    if (this.closed) return
    // holding the notification's turn keeps a refusal off the next call
    this.order.push(NOTICE)
    this.write(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params })
  }

  /** Sends a control-plane line `{type, ...extra}`; resolves with the daemon's plain-object reply. */
  control (type: string, extra: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.send('control', null, { ...extra, type }, opts) as Promise<Record<string, unknown>>
  }

  /** Ends the connection once the daemon has answered what was already sent. */
  close (): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      this.once('close', resolve)
      this.socket.end()
    })
  }

  private send (kind: 'call' | 'control', id: number | null, msg: object, opts: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(lost('the connection is closed'))
      if (opts.signal?.aborted === true) return reject(new RpcError(RpcCode.CANCELLED, 'request cancelled'))
      const line = JSON.stringify(msg)
      const p: Pending = { kind, id, settled: false, resolve, reject, timer: null, signal: opts.signal, onAbort: null }
      if (opts.timeout !== undefined) {
        p.timer = setTimeout(() => this.giveUp(p, new RpcError(RpcCode.TIMEOUT, new codes.LINEFY_ERR_TIMEOUT(opts.timeout).message)), opts.timeout)
      }
      if (opts.signal !== undefined) {
        p.onAbort = () => this.giveUp(p, new RpcError(RpcCode.CANCELLED, 'request cancelled'))
        opts.signal.addEventListener('abort', p.onAbort, { once: true })
      }
      if (id !== null) this.calls.set(id, p)
      this.order.push(p)
      this.socket.write(this.framing.encode(line))
    })
  }

  private write (msg: object): void {
    this.socket.write(this.framing.encode(JSON.stringify(msg)))
  }

  /** Rejects now; the entry stays in `order` until the daemon answers, so later replies still line up. */
  private giveUp (p: Pending, err: RpcError): void {
    // a cancel notice is never answered, in either compat mode
    if (p.id !== null && !this.closed) this.write({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: p.id } })
    this.settle(p, err, undefined)
  }

  private settle (p: Pending, err: Error | null, value: unknown): void {
    if (p.settled) return
    p.settled = true
    if (p.timer !== null) clearTimeout(p.timer)
    if (p.onAbort !== null) (p.signal as AbortSignal).removeEventListener('abort', p.onAbort)
    if (err !== null) p.reject(err)
    else p.resolve(value as never)
  }

  /** Replies come in order: notifications sent before `p` that got no reply never will. */
  private answered (p: Pending | Notice): void {
    const i = this.order.indexOf(p)
    this.order = this.order.filter((e, j) => j > i || (j < i && e.kind !== 'notify'))
    if (p.kind === 'call') this.calls.delete(p.id as number)
  }

  private onLine (line: string): void {
    let msg: Message
    try {
      msg = JSON.parse(line)
    } catch {
      // not a linefy daemon, or a broken one: nothing it says can be trusted
      this.fail(lost('the daemon sent a line that is not JSON: check that --socket points at a linefy daemon'))
      return
    }
    if (msg === null || typeof msg !== 'object') return
    if (msg.jsonrpc === undefined) return this.onControlReply(msg)
    if (typeof msg.method === 'string') {
      // requests from the server are not supported: only notifications
      if (msg.id === undefined) this.emit('notification', msg.method, msg.params)
      return
    }
    const p = msg.id === null ? this.order[0] : this.calls.get(msg.id as number)
    if (p === undefined) return
    this.answered(p)
    if (p.kind === 'notify') return
    if (msg.error !== undefined) this.settle(p, new RpcError(msg.error.code, msg.error.message, msg.error.data), undefined)
    else this.settle(p, null, msg.result)
  }

  private onControlReply (msg: Message): void {
    const p = this.order.find((e) => e.kind === 'control') as Pending | undefined
    if (p === undefined) return
    this.answered(p)
    this.settle(p, null, msg)
  }

  private fail (err: RpcError): void {
    for (const p of this.order) if (p.kind !== 'notify') this.settle(p, err, undefined)
    this.socket.destroy()
  }

  private onClose (): void {
    this.closed = true
    this.fail(lost('the daemon closed the connection before replying'))
    this.order = []
    this.calls.clear()
    this.emit('close')
  }
}

/** Opens a unix socket; rejects with LINEFY_ERR_NOT_RUNNING when nothing listens there. */
export function openSocket (path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(path)
    const onError = (err: NodeJS.ErrnoException): void => {
      socket.destroy()
      reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new codes.LINEFY_ERR_NOT_RUNNING(path) : err)
    }
    socket.once('error', onError)
    socket.once('connect', () => {
      socket.removeListener('error', onError)
      resolve(socket)
    })
  })
}

/** Connects to a daemon's socket; rejects with LINEFY_ERR_NOT_RUNNING when nothing listens there. */
export async function connect<T = AnyApi> (path: string, opts: ConnectOptions = {}): Promise<Client<T>> {
  return new Client<T>(await openSocket(path), opts)
}
