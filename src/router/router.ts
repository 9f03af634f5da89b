import type { Connection, Sink } from '../connection/types.js'
import type { ErrorMapper } from '../core/errors.js'
import type { ResolvedOptions } from '../core/options.js'
import type { Context, MethodDefinition } from '../request/context.js'

export type ControlHandler = (msg: Record<string, unknown>, conn: Connection) => unknown

/** What `app.control()` records. */
export interface ControlDefinition {
  type: string
  handler: ControlHandler
  // the plugin instance it was added on: its error mapper shapes the handler's failures
  instance: object
}

/** A control handler with its error mapper, resolved at ready(). */
export interface ControlContext {
  readonly type: string
  readonly handler: ControlHandler
  readonly errorMapper: ErrorMapper
}

/** What the core hands a router at ready(). */
export interface RouterCore {
  readonly opts: Readonly<ResolvedOptions>
  /** A method's context: its plugin's hooks bound, its validator compiled, its mapper and the gate bound. */
  compile (def: MethodDefinition): Context
  compileControl (def: ControlDefinition): ControlContext
}

/**
 * Owns the method and control tables and decides, for every parsed message,
 * what answers it. The contract:
 * - `addMethod` / `addControl` record definitions (names already prefixed and
 *   checked for duplicates by the core); `methods()` / `controls()` give them
 *   back, so a replacement router takes over what was registered before it;
 * - `ready(core)` runs once, after every plugin has loaded: compile each
 *   definition there (`core.compile`), never per message;
 * - `intercept(msg, conn)` sees each message as it is read, ahead of the
 *   connection's order and the gate; true means it consumed the message (a
 *   cancel notice), which then gets no reply and takes no turn;
 * - `dispatch(msg, conn, sink, slot)` answers each other message with exactly
 *   one `sink.complete(slot, line | undefined)`, now or later: a request through
 *   `startRequest()`, a control through `runControl()`, a refusal directly.
 * It may not change the daemon's state by itself, write to the connection
 * other than through `sink`, or throw.
 */
export interface Router {
  addMethod (def: MethodDefinition): void
  addControl (def: ControlDefinition): void
  methods (): Iterable<MethodDefinition>
  controls (): Iterable<ControlDefinition>
  ready (core: RouterCore): void
  intercept (msg: unknown, conn: Connection): boolean
  dispatch (msg: unknown, conn: Connection, sink: Sink, slot: number): void
}

export const routerMethods = ['addMethod', 'addControl', 'methods', 'controls', 'ready', 'intercept', 'dispatch'] as const
