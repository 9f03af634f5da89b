import fastq, { type queue } from 'fastq'
import type { Activity } from './state.js'
import { Stage, type Request } from './request.js'
import { kGateDone, kStage } from './symbols.js'

/**
 * The global concurrency gate: at most `concurrency` handlers run at once
 * across the instance, at most `maxQueue` wait behind them. fastq's own
 * length() walks its list, so admission uses our counter instead.
 */
export class Gate {
  readonly concurrency: number
  readonly maxQueue: number
  private readonly q: queue<Request, void>
  private readonly activity: Activity
  private readonly start: (req: Request) => void
  // while a finished handler hands its slot to the next queued one, start
  // that one on the next tick: a long queue of synchronous handlers would
  // otherwise recurse once per queued request
  private releasing = false

  constructor (concurrency: number, maxQueue: number, activity: Activity, start: (req: Request) => void) {
    this.concurrency = concurrency
    this.maxQueue = maxQueue
    this.activity = activity
    this.start = start
    this.q = fastq(this, worker, concurrency)
  }

  /** False when the queue is full: the caller answers -32004 at once. */
  push (req: Request): boolean {
    if (this.q.running() >= this.concurrency) {
      if (this.activity.queued >= this.maxQueue) return false
      this.activity.queued++
      req[kStage] = Stage.Queued
    }
    this.q.push(req)
    return true
  }

  /** A queued request that was cancelled or expired no longer counts as queued. */
  dequeued (): void {
    this.activity.queued--
  }

  release (req: Request): void {
    const done = req[kGateDone]
    if (done === null) return
    req[kGateDone] = null
    this.activity.inFlight--
    this.releasing = true
    done()
    this.releasing = false
  }

  run (req: Request): void {
    this.activity.inFlight++
    req[kStage] = Stage.Running
    if (this.releasing) process.nextTick(this.start, req)
    else this.start(req)
  }
}

function worker (this: Gate, req: Request, cb: (err: Error | null) => void): void {
  const stage = req[kStage]
  if (stage === Stage.Done || stage === Stage.Failing) {
    cb(null)
    return
  }
  if (stage === Stage.Queued) this.dequeued()
  req[kGateDone] = cb as () => void
  this.run(req)
}
