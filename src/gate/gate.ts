import type { Activity } from '../core/activity.js'

/** What a gate sees of a request: enough to group, rank or count it. */
export interface GatedRequest {
  readonly id: string | number | null | undefined
  readonly method: string
  /** The connection it came on (the same object for every request of one client). */
  readonly connection: object
}

/** What the core hands a gate when it builds it at ready(). */
export interface GateCore {
  /**
   * Starts a request the gate admitted. False when the request ended while
   * it waited (cancelled, timed out, shut down): it never ran, so its slot
   * is free again at once and the gate moves on.
   */
  run (req: GatedRequest): boolean
  /** The instance's counters; the core keeps `inFlight` and `queued` exact whatever the gate does. */
  readonly activity: Readonly<Activity>
}

/**
 * Decides when each request that passed its hooks runs. The core calls
 * `enter` once per request and then exactly one of `leave` (it ran) or
 * `drop` (it ended while it waited). A gate may call `core.run` from inside
 * `enter` (a free slot) or later (from `leave`, or a timer).
 */
export interface Gate {
  /** Admit: run it now or hold it. False when the gate can hold no more: the request is answered -32004. */
  enter (req: GatedRequest): boolean
  /** A request that ran has ended: its slot is free. */
  leave (req: GatedRequest): void
  /** A request the gate held ended before it ran. */
  drop (req: GatedRequest): void
}

export interface GateOptions {
  /** Handlers running at once across the instance. */
  concurrency: number
  /** Requests waiting for a slot before -32004. */
  maxQueue: number
}

/** Builds the instance's gate at ready(), once its options are final. */
export type GateFactory = (opts: GateOptions, core: GateCore) => Gate
