import { codes, RpcCode, RpcError } from '../core/errors.js'

export interface RequestOptions {
  /** Aborting rejects with -32800 and tells the client to cancel. */
  signal?: AbortSignal
  /** Milliseconds before the request rejects with -32003 and the client is told to cancel. */
  timeout?: number
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout | null
  signal: AbortSignal | undefined
  onAbort: (() => void) | null
}

/** Where the server's own messages go: false when there is no client to take them (ending, or inject()). */
export type Push = (line: string) => boolean

/**
 * What the server sends its client on its own: notifications, and requests
 * (MCP's sampling, elicitation, roots) with ids of the server's own, their
 * replies matched by id as they are read, each one settled exactly once, by
 * its reply, its timeout, its signal, or the connection's end.
 */
export class Outgoing {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly push: Push

  constructor (push: Push) {
    this.push = push
  }

  notify (method: string, params: unknown): boolean {
    return this.push(JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }))
  }

  request (method: string, params: unknown, opts: RequestOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted === true) return reject(new RpcError(RpcCode.CANCELLED, 'request cancelled'))
      const id = this.nextId++
      const p: Pending = { resolve, reject, timer: null, signal: opts.signal, onAbort: null }
      if (opts.timeout !== undefined) {
        const err = new RpcError(RpcCode.TIMEOUT, new codes.LINEFY_ERR_TIMEOUT(opts.timeout).message)
        p.timer = setTimeout(() => this.giveUp(id, err), opts.timeout)
      }
      if (opts.signal !== undefined) {
        p.onAbort = () => this.giveUp(id, new RpcError(RpcCode.CANCELLED, 'request cancelled'))
        opts.signal.addEventListener('abort', p.onAbort, { once: true })
      }
      this.pending.set(id, p)
      if (!this.push(JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }))) {
        this.settle(id, p)
        reject(new RpcError(RpcCode.TRANSPORT_LOST, new codes.LINEFY_ERR_NO_PEER(method).message))
      }
    })
  }

  /** A reply from the client: true when it answered one of ours. */
  answer (id: unknown, error: { code?: unknown, message?: unknown, data?: unknown } | undefined, result: unknown): boolean {
    const p = typeof id === 'number' ? this.pending.get(id) : undefined
    if (p === undefined) return false
    this.settle(id as number, p)
    if (error === undefined) p.resolve(result)
    else p.reject(new RpcError(typeof error.code === 'number' ? error.code : RpcCode.INTERNAL_ERROR, String(error.message), error.data))
    return true
  }

  /** The connection is gone: nobody will answer. */
  closeAll (): void {
    for (const [id, p] of this.pending) {
      this.settle(id, p)
      p.reject(new RpcError(RpcCode.TRANSPORT_LOST, new codes.LINEFY_ERR_CLIENT_GONE().message))
    }
  }

  private giveUp (id: number, err: RpcError): void {
    const p = this.pending.get(id) as Pending
    this.settle(id, p)
    p.reject(err)
    // the client may still be working on it: tell it to stop, as MCP asks of a sender
    this.notify('notifications/cancelled', { requestId: id, reason: err.message })
  }

  private settle (id: number, p: Pending): void {
    this.pending.delete(id)
    if (p.timer !== null) clearTimeout(p.timer)
    if (p.onAbort !== null) (p.signal as AbortSignal).removeEventListener('abort', p.onAbort)
  }
}
