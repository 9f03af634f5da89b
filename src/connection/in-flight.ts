import { codes } from '../core/errors.js'
import type { ConnectionHost, InFlight } from './types.js'

/**
 * The requests a connection has started and not yet answered: a handful at
 * most (perConnection), so an array beats a Map. They are what a cancel
 * notice, the close deadline and a disconnect reach.
 */
export class InFlightList {
  private readonly list: InFlight[] = []
  private readonly host: ConnectionHost

  constructor (host: ConnectionHost) {
    this.host = host
  }

  add (req: InFlight): void {
    this.list.push(req)
  }

  /** Called once per request, when it ends. */
  remove (req: InFlight): void {
    const list = this.list
    const i = list.indexOf(req)
    const last = list.pop() as InFlight
    if (i < list.length) list[i] = last
  }

  /** Cancels the running request with this id, answered -32800 or, unless `answer`, not at all; false when none runs. */
  cancel (id: string | number, answer: boolean): boolean {
    const req = this.list.find((r) => r.id === id)
    if (req === undefined) return false
    if (answer) this.host.abort(req, new codes.LINEFY_ERR_CANCELLED())
    else this.host.drop(req, new codes.LINEFY_ERR_CANCELLED())
    return true
  }

  /** The close() grace period is over: answer what still runs -32005. */
  expire (): void {
    for (const req of this.list.slice()) this.host.abort(req, new codes.LINEFY_ERR_SHUTTING_DOWN())
  }

  /** The client is gone: abort what still runs, answer nobody. */
  drop (): void {
    for (const req of this.list.slice()) this.host.drop(req, new codes.LINEFY_ERR_CLIENT_GONE())
  }
}
