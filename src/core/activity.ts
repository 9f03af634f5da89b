/** Cheap probes a background scheduler reads to yield to interactive work. */
export interface Activity {
  /** Date.now() of the last line read on any connection. */
  lastActivity: number
  connections: number
  /** Handlers running now. */
  inFlight: number
  /** Requests waiting at the concurrency gate. */
  queued: number
}

export function createActivity (): Activity {
  return { lastActivity: Date.now(), connections: 0, inFlight: 0, queued: 0 }
}
