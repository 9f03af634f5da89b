import { adopt, disown, type Request } from '../request/request.js'
import type { Connection, DispatchOptions, Route, Sink } from './types.js'

/**
 * Runs one message through a connection's router on behalf of a caller (a
 * plugin serving a method by running another, as MCP's tools/call does):
 * outside the connection's order and backlog, since the caller already holds
 * its turn, but through everything else a read line goes through. The sink
 * carries the caller's options to the request; it is cancelled by its id
 * when `parent` ends early, as a cancel notice would.
 */
export function dispatchOwn (route: Route, conn: Connection, msg: unknown, options: DispatchOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    // a parent is a request the core started: Request is the one InFlight there is
    const parent = options.parent as Request | undefined
    const id = (msg as { id?: unknown } | null)?.id
    let done = false
    const sink: Sink = {
      options,
      complete (_slot, line) {
        done = true
        if (parent !== undefined) disown(parent, id)
        resolve(line)
      }
    }
    route.dispatch(msg, conn, sink, 0)
    // adopted once it runs: a parent that ended already cancels it at once
    if (parent !== undefined && !done) adopt(parent, id)
  })
}
