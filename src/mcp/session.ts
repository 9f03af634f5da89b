import { format } from 'node:util'
import type { Logger } from 'pino'
import type { Connection } from '../connection/types.js'
import { codes } from '../core/errors.js'
import type { Request } from '../request/request.js'
import { LOG_LEVELS, PINO_LEVELS, type LogLevel } from './protocol.js'

/** What the client said of itself in initialize. */
export interface ClientInfo {
  protocolVersion: string
  clientInfo: { name?: string, version?: string } & Record<string, unknown>
  capabilities: Record<string, unknown>
}

/**
 * One MCP session: a connection that sent initialize. It holds what the
 * client said of itself, the log level it asked for and its resource
 * subscriptions, and is gone with its connection.
 */
export class Session {
  readonly conn: Connection
  client: ClientInfo | null = null
  /** Index in LOG_LEVELS of the least severe message sent; none before logging/setLevel. */
  logLevel: number = LOG_LEVELS.length
  readonly subscriptions = new Set<string>()
  private tapped: Logger | null = null

  constructor (conn: Connection) {
    this.conn = conn
  }

  notify (method: string, params?: unknown): void {
    this.conn.notify(method, params)
  }

  /** The connection's logger, each line at or above the session's level also sent as notifications/message. */
  get log (): Logger {
    if (this.tapped === null) this.tapped = tap(this.conn.log, this)
    return this.tapped
  }

  /** Sends a log line the client asked for, as notifications/message. */
  message (level: LogLevel, logger: Logger, args: unknown[]): void {
    if (LOG_LEVELS.indexOf(level) < this.logLevel) return
    const method = (logger.bindings() as { method?: unknown }).method
    this.notify('notifications/message', typeof method === 'string' ? { level, logger: method, data: dataOf(args) } : { level, data: dataOf(args) })
  }
}

/**
 * A logger whose every line also reaches the session: pino's children are
 * Object.create() of their parent, so a child of the tapped logger (req.log)
 * keeps the tap. pino's own level still decides what reaches its stream.
 */
function tap (base: Logger, session: Session): Logger {
  const tapped = Object.create(base) as Record<string, unknown>
  for (const [name, level] of PINO_LEVELS) {
    const write = base[name] as (...args: unknown[]) => void
    tapped[name] = function (this: Logger, ...args: unknown[]) {
      session.message(level, this, args)
      write.apply(this, args)
    }
  }
  return tapped as unknown as Logger
}

/** What a pino call says, as the data of an MCP log message: the formatted text, or the fields with it. */
function dataOf (args: unknown[]): unknown {
  const [first, ...rest] = args
  if (first !== null && typeof first === 'object') {
    const fields: Record<string, unknown> = first instanceof Error ? { err: first } : { ...first }
    for (const k of Object.keys(fields)) if (fields[k] instanceof Error) fields[k] = (fields[k] as Error).message
    if (rest.length > 0) fields.msg = format(...rest)
    return fields
  }
  return format(...args)
}

/**
 * The sessions of an app: looked up by connection, and listed for what goes
 * to every client (list_changed, resource updates). The list drops closed
 * connections whenever it has doubled since it last did, so it stays within
 * twice the live sessions however many come and go.
 */
export class Sessions {
  private readonly byConn = new WeakMap<Connection, Session>()
  private readonly live = new Set<Session>()
  private pruneAt = 64

  of (conn: Connection): Session {
    let s = this.byConn.get(conn)
    if (s === undefined) {
      s = new Session(conn)
      this.byConn.set(conn, s)
    }
    return s
  }

  /** What the client of an initialized connection said of itself. */
  client (conn: Connection): ClientInfo | undefined {
    return this.byConn.get(conn)?.client ?? undefined
  }

  /** The session of an initialized connection; anything else is refused, as MCP asks. */
  ready (req: Request): Session {
    const s = this.byConn.get(req.connection)
    if (s?.client == null) throw new codes.LINEFY_ERR_MCP_NOT_INITIALIZED(req.method)
    return s
  }

  initialized (s: Session, client: ClientInfo): void {
    s.client = client
    this.live.add(s)
    if (this.live.size >= this.pruneAt) {
      this.prune()
      this.pruneAt = Math.max(64, this.live.size * 2)
    }
  }

  /** Every open initialized session. */
  all (): Session[] {
    this.prune()
    return [...this.live]
  }

  broadcast (method: string, params?: unknown): void {
    for (const s of this.all()) s.notify(method, params)
  }

  private prune (): void {
    for (const s of this.live) if (s.conn.destroyed) this.live.delete(s)
  }
}
