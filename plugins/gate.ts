import fastq, { type queue } from 'fastq'
import { plugin } from '../src/core/encapsulation.js'
import { kGateSlot } from '../src/core/symbols.js'
import type { Gate, GateCore, GatedRequest, GateFactory, GateOptions } from '../src/gate/gate.js'

type Slotted = GatedRequest & { [kGateSlot]: unknown }
type Done = (err: Error | null) => void

/**
 * The default gate: first come, first served, on fastq. At most
 * `concurrency` handlers run at once across the instance; at most `maxQueue`
 * wait behind them. fastq's own length() walks its list, so admission reads
 * the core's `queued` counter instead.
 */
export class FastqGate implements Gate {
  private readonly concurrency: number
  private readonly maxQueue: number
  private readonly core: GateCore
  private readonly q: queue<Slotted, void>
  // while a finished handler hands its slot to the next queued one, start
  // that one on the next tick: a long queue of synchronous handlers would
  // otherwise recurse once per queued request
  releasing = false

  constructor (opts: GateOptions, core: GateCore) {
    this.concurrency = opts.concurrency
    this.maxQueue = opts.maxQueue
    this.core = core
    this.q = fastq(this, worker, opts.concurrency)
  }

  enter (req: GatedRequest): boolean {
    if (this.q.running() >= this.concurrency && this.core.activity.queued >= this.maxQueue) return false
    this.q.push(req as Slotted)
    return true
  }

  leave (req: GatedRequest): void {
    const r = req as Slotted
    const done = r[kGateSlot] as Done
    r[kGateSlot] = null
    this.releasing = true
    done(null)
    this.releasing = false
  }

  // fastq cannot take a task out of the middle: the worker skips it when its turn comes
  drop (): void {}

  start (req: Slotted): void {
    if (this.core.run(req)) return
    // it ended while it waited: its slot goes to the next one now
    const done = req[kGateSlot] as Done
    req[kGateSlot] = null
    done(null)
  }
}

function worker (this: FastqGate, req: Slotted, done: Done): void {
  req[kGateSlot] = done
  if (this.releasing) process.nextTick(startLater, this, req)
  else this.start(req)
}

function startLater (gate: FastqGate, req: Slotted): void {
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
