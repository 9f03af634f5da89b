import type { AddressInfo, Server } from 'node:net'
import type { Logger } from 'pino'
import type { Connection, ConnectionHost, InFlight } from '../connection/types.js'
import type { GateFactory } from '../gate/gate.js'
import type { AnyHook } from '../request/hooks.js'
import type { Router } from '../router/router.js'
import type { Activity } from './activity.js'
import type { LinefyError } from './errors.js'
import type { ResolvedOptions } from './options.js'

export interface AppHook { fn: AnyHook, instance: object }

export enum Phase { Loading, Booted, Ready, Closing, Closed }

/** State shared by every plugin context of one instance. */
export interface State extends ConnectionHost {
  readonly opts: ResolvedOptions
  readonly log: Logger
  readonly activity: Activity
  /** Swappable until ready() (setRouter); a connection binds it when it opens. */
  router: Router
  /** Swappable until ready() (setGate); built once at ready(). */
  gate: GateFactory
  /** Names taken so far: each method and control type may be registered once, whichever router holds it. */
  readonly methodNames: Set<string>
  readonly controlTypes: Set<string>
  readonly connections: Set<Connection>
  readonly onReady: AppHook[]
  readonly preClose: AppHook[]
  /** Transports waiting to listen: they start once every onReady hook has run. */
  readonly transports: Array<() => Promise<void>>
  /** Where the transports listen, for app.addresses(). */
  readonly addresses: Array<string | AddressInfo>
  /** Listening servers, closed the moment close() begins. */
  readonly servers: Set<Server>
  phase: Phase
  readyPromise: Promise<unknown> | null
  closePromise: Promise<void> | null
  nextConnectionId: number
  onConnectionClosed: (() => void) | null
  abort (req: InFlight, err: LinefyError): void
  drop (req: InFlight, err: LinefyError): void
}
