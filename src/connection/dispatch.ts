import { adopt, disown, type Request } from '../request/request.js'
import type { Connection, DispatchOptions, Route, Sink } from './types.js'

type Settle = (line: string | undefined) => void

// a Promise's executor runs at once: it hands its resolve over here, with no closure made per call
let captured: Settle
function capture (resolve: Settle): void {
  captured = resolve
}

/** Where conn.dispatch()'s request ends: its caller's promise, and its parent lets go of it. */
class OwnSink implements Sink {
  readonly options: DispatchOptions
  done = false
  private readonly settle: Settle
  private readonly parent: Request | undefined
  private readonly id: unknown

  constructor (options: DispatchOptions, settle: Settle, parent: Request | undefined, id: unknown) {
    this.options = options
    this.settle = settle
    this.parent = parent
    this.id = id
  }

  complete (_slot: number, line: string | undefined): void {
    this.done = true
    if (this.parent !== undefined) disown(this.parent, this.id)
    this.settle(line)
  }
}

/**
 * Runs one message through a connection's router on behalf of a caller (a
 * plugin serving a method by running another, as MCP's tools/call does):
 * outside the connection's order and backlog, since the caller already holds
 * its turn, but through everything else a read line goes through. The sink
 * carries the caller's options to the request; it is cancelled by its id
 * when `parent` ends early, as a cancel notice would.
 */
export function dispatchOwn (route: Route, conn: Connection, msg: unknown, options: DispatchOptions): Promise<string | undefined> {
  const promise = new Promise(capture)
  // a parent is a request the core started: Request is the one InFlight there is
  const parent = options.parent as Request | undefined
  const id = (msg as { id?: unknown } | null)?.id
  const sink = new OwnSink(options, captured, parent, id)
  route.dispatch(msg, conn, sink, 0)
  // adopted once it runs: a parent that ended already cancels it at once
  if (parent !== undefined && !sink.done) adopt(parent, id)
  return promise
}
