import type { AddressInfo, Server } from 'node:net'
import type { Logger } from 'pino'
import type { Context, MethodDefinition } from './context.js'
import type { Connection } from './connection.js'
import type { Gate } from './gate.js'
import type { AnyHook } from './hooks.js'

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

export type Compat = 'spec' | 'seed'

export interface ResolvedOptions {
  compat: Compat
  asciiOnly: boolean
  concurrency: number
  maxQueue: number
  perConnection: number
  maxLineBytes: number
  maxBatch: number
  maxBacklog: number
  closeGraceMs: number
}

export type ControlHandler = (msg: Record<string, unknown>, conn: Connection) => unknown

export interface AppHook { fn: AnyHook, instance: object }

export enum Phase { Loading, Booted, Ready, Closing, Closed }

/** State shared by every plugin context of one instance. */
export interface State {
  opts: ResolvedOptions
  log: Logger
  methods: Map<string, MethodDefinition>
  contexts: Map<string, Context>
  controls: Map<string, ControlHandler>
  activity: Activity
  gate: Gate
  connections: Set<Connection>
  onReady: AppHook[]
  preClose: AppHook[]
  /** Transports waiting to listen: they start once every onReady hook has run. */
  transports: Array<() => Promise<void>>
  /** Where the transports listen, for app.addresses(). */
  addresses: Array<string | AddressInfo>
  /** Listening servers, closed the moment close() begins. */
  servers: Set<Server>
  phase: Phase
  readyPromise: Promise<unknown> | null
  closePromise: Promise<void> | null
  nextConnectionId: number
  /** Set while close() waits for connections to end. */
  onConnectionClosed: (() => void) | null
}
