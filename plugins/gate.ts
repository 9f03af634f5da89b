import fastq, { type queue } from 'fastq'
import { plugin } from '../src/core/encapsulation.js'
import { kGateSlot } from '../src/core/symbols.js'
import type { Gate, GateCore, GatedRequest, GateFactory, GateOptions } from '../src/gate/gate.js'

type Slotted = GatedRequest & { [kGateSlot]: unknown }
type Done = (err: Error | null) => void

// the slot of a request started at once, outside fastq
const DIRECT = Symbol('linefy.gate.direct')

/**
 * The default gate: first come, first served. At most `concurrency`
 * handlers run at once across the instance; at most `maxQueue` wait behind
 * them. While a slot is free and nobody waits, a request starts at once;
 * fastq is the queue once they are all taken. Its concurrency is kept to the
 * slots the direct runs leave, so the two together never exceed the limit.
 * fastq's own length() and idle() walk its list, so admission reads the
 * core's `queued` counter and the gate counts what it gave fastq.
 */
export class FastqGate implements Gate {
  private readonly concurrency: number
  private readonly maxQueue: number
  private readonly core: GateCore
  private readonly q: queue<Slotted, void>
  // handlers started at once, outside fastq
  private direct = 0
  // requests given to fastq, waiting or running there
  private held = 0
  // while a finished handler hands its slot to the next queued one, start
  // that one on the next tick: a long queue of synchronous handlers would
  // otherwise recurse once per queued request
  releasing = false
  // starts put off to the next tick: one fastq hands a slot meanwhile waits
  // its turn behind them, or it would run before a request queued earlier
  deferred = 0

  constructor (opts: GateOptions, core: GateCore) {
    this.concurrency = opts.concurrency
    this.maxQueue = opts.maxQueue
    this.core = core
    this.q = fastq(this, worker, opts.concurrency)
  }

  enter (req: GatedRequest): boolean {
    const q = this.q
    const free = this.concurrency - this.direct
    if (free > 0 && this.held === 0) {
      this.direct++
      const r = req as Slotted
      r[kGateSlot] = DIRECT
      if (!this.core.run(r)) this.leave(r)
      return true
    }
    if (q.running() >= free && this.core.activity.queued >= this.maxQueue) return false
    // every slot held by a direct run: it waits until one of them ends
    if (free === 0) q.pause()
    else q.concurrency = free
    this.held++
    q.push(req as Slotted)
    return true
  }

  leave (req: GatedRequest): void {
    const r = req as Slotted
    const slot = r[kGateSlot]
    r[kGateSlot] = null
    this.releasing = true
    if (slot === DIRECT) {
      this.widen()
    } else {
      this.held--
      const done = slot as Done
      done(null)
    }
    this.releasing = false
  }

  // fastq cannot take a task out of the middle: the worker skips it when its turn comes
  drop (): void {}

  start (req: Slotted): void {
    if (this.core.run(req)) return
    // it ended while it waited: its slot goes to the next one now
    const done = req[kGateSlot] as Done
    req[kGateSlot] = null
    this.held--
    done(null)
  }

  // a direct run ended: the queue may use its slot
  private widen (): void {
    this.direct--
    if (this.held === 0) return
    const q = this.q
    q.concurrency = this.concurrency - this.direct
    q.resume()
  }
}

function worker (this: FastqGate, req: Slotted, done: Done): void {
  req[kGateSlot] = done
  if (!this.releasing && this.deferred === 0) return this.start(req)
  this.deferred++
  process.nextTick(startLater, this, req)
}

function startLater (gate: FastqGate, req: Slotted): void {
  gate.deferred--
  gate.start(req)
}

export const fastqGate: GateFactory = (opts, core) => new FastqGate(opts, core)

export interface GateOptionsOf {
  gate: GateFactory
}

/** Replaces the instance's gate (one per instance, whichever plugin sets it). */
export default plugin<GateOptionsOf>(async function gate (app, opts) {
  app.setGate(opts.gate)
}, { name: 'linefy-gate' })
