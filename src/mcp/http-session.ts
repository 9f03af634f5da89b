import type { ServerResponse } from 'node:http'
import { Duplex } from 'node:stream'
import type { Connection } from '../connection/types.js'
import type { LinefyInstance } from '../core/instance.js'
import { jsonOfId } from '../request/reply.js'

/** A message the session's connection writes: a reply, or one of the server's own. */
interface Outgoing { id?: unknown, method?: unknown, params?: { progressToken?: unknown } }

// server messages held for a session that has no stream open to take them
const MAX_HELD = 256

export function sseEvent (res: ServerResponse, line: string): void {
  res.write('event: message\ndata: ' + line + '\n\n')
}

/**
 * One POST with requests: its replies, matched by id as the session's
 * connection writes them, answered as one JSON body, or as an SSE stream
 * that also carries the server's messages about those requests (progress).
 */
export class Exchange {
  readonly res: ServerResponse
  readonly sse: boolean
  readonly tokens: Set<unknown>
  private readonly batch: boolean
  private readonly replies: string[] = []
  private remaining: number
  private readonly headers: Record<string, string>
  done = false

  constructor (res: ServerResponse, sse: boolean, ids: number, batch: boolean, tokens: Set<unknown>, headers: Record<string, string>) {
    this.res = res
    this.sse = sse
    this.remaining = ids
    this.batch = batch
    this.tokens = tokens
    this.headers = headers
    if (sse) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers }).flushHeaders()
  }

  reply (line: string): void {
    if (this.sse) sseEvent(this.res, line)
    else this.replies.push(line)
    if (--this.remaining === 0) this.finish()
  }

  private finish (): void {
    this.done = true
    if (this.sse) {
      this.res.end()
      return
    }
    const body = this.batch ? '[' + this.replies.join(',') + ']' : this.replies[0] as string
    this.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...this.headers }).end(body)
  }
}

/** The session's end of its connection: what POST bodies bring is read from it, what the connection writes is routed. */
class SessionStream extends Duplex {
  private readonly session: HttpSession

  constructor (session: HttpSession) {
    super()
    this.session = session
  }

  override _read (): void {}

  override _write (chunk: Buffer, _: BufferEncoding, cb: () => void): void {
    this.session.written(chunk.toString())
    cb()
  }

  override _final (cb: () => void): void {
    this.session.ended()
    cb()
  }
}

/**
 * An MCP session over Streamable HTTP: one linefy connection that lives
 * across HTTP requests (app.serve() of a stream of its own), so a session
 * has what a line socket's has: order, cancellation, server requests, its
 * MCP state. Replies go back to the POST that carried their request; the
 * server's own messages go to the stream of the request they are about,
 * else to the GET stream, else wait (a bounded number) for one to open.
 */
export class HttpSession {
  // the global's: importing node:crypto would load it at every daemon's start, HTTP or not
  readonly id = crypto.randomUUID()
  readonly conn: Connection
  get: ServerResponse | null = null
  private readonly stream: SessionStream
  private readonly exchanges = new Map<string, Exchange>()
  private readonly held: string[] = []
  private rest = ''
  private closed = false
  private readonly onGone: (s: HttpSession) => void

  constructor (app: LinefyInstance, onGone: (s: HttpSession) => void) {
    this.onGone = onGone
    this.stream = new SessionStream(this)
    this.stream.once('close', () => this.ended())
    this.conn = app.serve(this.stream)
  }

  /** A POST's body, with the ids of its requests: their replies go to `exchange`. */
  deliver (body: string, ids: string[], exchange: Exchange | null): void {
    if (exchange !== null) for (const id of ids) this.exchanges.set(id, exchange)
    this.stream.push(body + '\n')
  }

  /** The POST went away before its replies: they are dropped when they come. */
  abandon (exchange: Exchange): void {
    for (const [id, e] of this.exchanges) if (e === exchange) this.exchanges.delete(id)
  }

  openGet (res: ServerResponse): void {
    this.get = res
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': this.id })
    // the client waits for the head before it listens: send it now, not with the first event
    res.flushHeaders()
    for (const line of this.held.splice(0)) sseEvent(res, line)
    res.once('close', () => { if (this.get === res) this.get = null })
  }

  /** DELETE, eviction or close(): what still runs is dropped, the streams end. */
  close (): void {
    this.stream.destroy()
  }

  written (text: string): void {
    const lines = (this.rest + text).split('\n')
    this.rest = lines.pop() as string
    for (const line of lines) {
      const msg = JSON.parse(line) as Outgoing | Outgoing[]
      if (Array.isArray(msg)) for (const m of msg) this.route(JSON.stringify(m), m)
      else this.route(line, msg)
    }
  }

  ended (): void {
    if (this.closed) return
    this.closed = true
    if (this.get !== null) this.get.end()
    for (const e of new Set(this.exchanges.values())) if (!e.done) e.res.destroy()
    this.exchanges.clear()
    this.onGone(this)
  }

  private route (line: string, msg: Outgoing): void {
    if (msg.method === undefined) {
      const key = jsonOfId(msg.id)
      const exchange = this.exchanges.get(key)
      if (exchange === undefined) return
      this.exchanges.delete(key)
      exchange.reply(line)
      return
    }
    const token = msg.method === 'notifications/progress' ? msg.params?.progressToken : undefined
    let to: ServerResponse | null = null
    for (const e of this.exchanges.values()) {
      if (e.sse && (token === undefined || e.tokens.has(token))) to = e.res
      if (to !== null && token !== undefined) break
    }
    if (token === undefined && this.get !== null) to = this.get
    if (to !== null) return sseEvent(to, line)
    // progress about a request answered as plain JSON has nowhere to go, and is stale later
    if (token !== undefined) return
    if (this.held.length >= MAX_HELD) this.held.shift()
    this.held.push(line)
  }
}
