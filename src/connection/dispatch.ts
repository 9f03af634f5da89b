import type { Connection, DispatchOptions, Route, Sink } from './types.js'

/**
 * Runs one message through a connection's router on behalf of a caller (a
 * plugin serving a method by running another, as MCP's tools/call does):
 * outside the connection's order and backlog, since the caller already holds
 * its turn, but through everything else a read line goes through. The sink
 * carries the caller's options to the request; aborting `signal` cancels the
 * request by its id, as a cancel notice would.
 */
export function dispatchOwn (route: Route, conn: Connection, msg: unknown, options: DispatchOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    const signal = options.signal
    const id = (msg as { id?: unknown } | null)?.id
    const cancel = (): void => conn.cancel(id)
    const sink: Sink = {
      options,
      complete (_slot, line) {
        signal?.removeEventListener('abort', cancel)
        resolve(line)
      }
    }
    signal?.addEventListener('abort', cancel, { once: true })
    route.dispatch(msg, conn, sink, 0)
    if (signal?.aborted === true) cancel()
  })
}
