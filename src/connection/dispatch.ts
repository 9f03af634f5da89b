import { adopt, disown, type Request } from '../request/request.js'
import type { Connection, DispatchOptions, Route, Sink } from './types.js'

type Settle = (line: string | undefined) => void

// a Promise's executor runs at once: it hands its resolve over here, with no closure made per call
let captured: Settle
function capture (resolve: Settle): void {
  captured = resolve
}

/** Where a dispatched request ends: its line kept, or handed to the promise its caller waits on. */
class OwnSink implements Sink {
  readonly options: DispatchOptions
  done = false
  line: string | undefined = undefined
  settle: Settle | null = null
  adopted = false
  private readonly parent: Request | undefined
  private readonly id: unknown

  constructor (options: DispatchOptions, parent: Request | undefined, id: unknown) {
    this.options = options
    this.parent = parent
    this.id = id
  }

  complete (_slot: number, line: string | undefined): void {
    this.done = true
    this.line = line
    if (this.adopted) disown(this.parent as Request, this.id)
    if (this.settle !== null) this.settle(line)
  }
}

/**
 * Runs one message through a connection's router on behalf of a caller (a
 * plugin serving a method by running another, as MCP's tools/call does):
 * outside the connection's order and backlog, since the caller already holds
 * its turn, but through everything else a read line goes through. The sink
 * carries the caller's options to the request; it is cancelled by its id
 * when `parent` ends early, as a cancel notice would. A request that ended
 * at once (a synchronous handler with a free slot) gives its line at once;
 * any other, the promise of it.
 */
export function dispatchNow (route: Route, conn: Connection, msg: unknown, options: DispatchOptions): string | undefined | Promise<string | undefined> {
  // a parent is a request the core started: Request is the one InFlight there is
  const parent = options.parent as Request | undefined
  const id = (msg as { id?: unknown } | null)?.id
  const sink = new OwnSink(options, parent, id)
  route.dispatch(msg, conn, sink, 0)
  if (sink.done) return sink.line
  // adopted once it runs: a parent that ended already cancels it at once
  if (parent !== undefined) {
    sink.adopted = true
    adopt(parent, id)
  }
  if (sink.done) return sink.line
  const promise = new Promise(capture)
  sink.settle = captured
  return promise
}

/** dispatchNow, always as a promise. */
export function dispatchOwn (route: Route, conn: Connection, msg: unknown, options: DispatchOptions): Promise<string | undefined> {
  const r = dispatchNow(route, conn, msg, options)
  return r instanceof Promise ? r : Promise.resolve(r)
}
