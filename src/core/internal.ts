import type { Framing } from '../framing/framing.js'
import type { Hooks } from '../request/hooks.js'
import type { ErrorMapper } from './errors.js'
import type { LinefyInstance } from './instance.js'
import type { State } from './state.js'
import { kAvvioClose, kAvvioReady, kErrorMapper, kFraming, kHooks, kPrefix, kState } from './symbols.js'

/**
 * A linefy instance as the core sees it: one typed view of the internal
 * slots, for every module that reaches them. The prototype chain carries
 * them: a plugin context is Object.create() of its parent, with its own
 * hooks and prefix, and inherits the rest until it sets its own.
 */
export interface InternalInstance extends LinefyInstance {
  [kState]: State
  [kHooks]: Hooks
  [kPrefix]: string
  [kErrorMapper]: ErrorMapper
  [kFraming]: Framing
  [kAvvioReady]: () => Promise<unknown>
  [kAvvioClose]: () => Promise<unknown>
  // decorations
  [name: string | symbol]: unknown
}

export function internal (app: object): InternalInstance {
  return app as InternalInstance
}
