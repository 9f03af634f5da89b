import type { Gate, GateCore, GatedRequest, GateFactory, GateOptions } from '../../index.js'

/**
 * A second gate a daemon author would want: fair shares. No connection
 * holds more than its share of the slots (concurrency divided among the
 * connections that are running or waiting), and a freed slot goes to the
 * next connection in turn, so one client pipelining many calls cannot keep
 * another waiting behind all of them.
 */
export class FairGate implements Gate {
  private running = 0
  private waitingCount = 0
  private readonly held = new Map<object, number>()
  // insertion order is the turn order: a connection served goes to the back
  private readonly waiting = new Map<object, GatedRequest[]>()
  private readonly opts: GateOptions
  private readonly core: GateCore

  constructor (opts: GateOptions, core: GateCore) {
    this.opts = opts
    this.core = core
  }

  enter (req: GatedRequest): boolean {
    if (this.running < this.opts.concurrency && this.mayTake(req.connection)) {
      this.start(req)
      return true
    }
    if (this.waitingCount >= this.opts.maxQueue) return false
    const list = this.waiting.get(req.connection)
    if (list === undefined) this.waiting.set(req.connection, [req])
    else list.push(req)
    this.waitingCount++
    return true
  }

  leave (req: GatedRequest): void {
    this.release(req)
    this.next()
  }

  drop (req: GatedRequest): void {
    const list = this.waiting.get(req.connection) as GatedRequest[]
    list.splice(list.indexOf(req), 1)
    if (list.length === 0) this.waiting.delete(req.connection)
    this.waitingCount--
  }

  private share (): number {
    const active = new Set([...this.held.keys(), ...this.waiting.keys()]).size
    return Math.max(1, Math.floor(this.opts.concurrency / Math.max(1, active)))
  }

  private mayTake (conn: object): boolean {
    return (this.held.get(conn) ?? 0) < this.share()
  }

  private start (req: GatedRequest): void {
    this.running++
    this.held.set(req.connection, (this.held.get(req.connection) ?? 0) + 1)
    if (!this.core.run(req)) this.leave(req)
  }

  private release (req: GatedRequest): void {
    this.running--
    const n = (this.held.get(req.connection) as number) - 1
    if (n === 0) this.held.delete(req.connection)
    else this.held.set(req.connection, n)
  }

  private next (): void {
    for (const [conn, list] of this.waiting) {
      if (this.running >= this.opts.concurrency) return
      if (!this.mayTake(conn)) continue
      const req = list.shift() as GatedRequest
      this.waitingCount--
      this.waiting.delete(conn)
      if (list.length > 0) this.waiting.set(conn, list)
      this.start(req)
      // the map changed under the loop: start over from the front
      return this.next()
    }
  }
}

export const fairGate: GateFactory = (opts, core) => new FairGate(opts, core)
