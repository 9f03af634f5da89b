import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { LineConnection } from '../connection/connection.js'
import type { ConnectionHost } from '../connection/types.js'
import type { Framing } from '../framing/framing.js'
import { bind, runOnConnectionHooks, type BoundHooks, type Hooks } from '../request/hooks.js'

export const kPeer = Symbol('linefy.http.peer')

export type Tagged<T> = T & { [kPeer]?: Peer }

/** What a peer needs of the HTTP handler that made it. */
export interface PeerOwner {
  readonly state: ConnectionHost
  readonly hooks: Hooks
  readonly framing: Framing
  readonly closing: boolean
  reply (peer: Peer, seq: number, line: string | undefined): void
  closed (peer: Peer): void
}

/**
 * One HTTP connection: a linefy Connection with no stream, fed one frame per
 * request body, whose replies a collector turns into HTTP responses. Its
 * requests therefore keep the connection's order, and its end (socket
 * closed, close() deadline) aborts what still runs, as on a line socket.
 */
export class Peer {
  readonly handler: PeerOwner
  readonly socket: Socket
  /** null: over maxConnections, every request is answered 503. */
  readonly conn: LineConnection | null
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

  constructor (handler: PeerOwner, socket: Socket, refused: boolean, injected: boolean) {
    this.handler = handler
    this.socket = socket
    this.injected = injected
    if (refused) {
      this.conn = null
      return
    }
    const hooks = handler.hooks
    const conn = this.conn = new LineConnection(handler.state, null, handler.framing, bind([...hooks.onDisconnect, this.onGone], 2), (seq, line) => handler.reply(this, seq, line))
    if (hooks.onConnection.length === 0) return
    let settled = false
    const waiting = new Promise<void>((resolve) => {
      runOnConnectionHooks(bind(hooks.onConnection, 2) as BoundHooks, conn, undefined, (err) => {
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

export function onFinish (this: Tagged<ServerResponse>): void {
  const peer = this[kPeer] as Peer
  peer.pending--
  // light-my-request finishes inside res.end(), which may be inside the Connection's own pump: end it after
  if (peer.injected) process.nextTick(destroy, peer.conn)
  // close() began while these replies were on their way: the connection is idle now
  else if (peer.handler.closing && peer.pending === 0 && !peer.last) peer.socket.destroySoon()
}

// one function for every socket rather than a closure each: idle connections stay small
export function onSocketClose (this: Tagged<Socket>): void {
  const peer = this[kPeer] as Peer
  peer.handler.closed(peer)
}

function destroy (conn: LineConnection): void {
  conn.destroy()
}
