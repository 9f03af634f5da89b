import { seedErrorMapper } from '../../plugins/error-mapper.js'
import { codes, type ErrorMapper } from './errors.js'
import { internal } from './internal.js'
import { Phase, type State } from './state.js'
import { kErrorMapper, kHooks } from './symbols.js'
import { Context, type Admission } from '../request/context.js'
import { runAdmitted } from '../request/handle-request.js'
import type { ControlContext, ControlDefinition, RouterCore } from '../router/router.js'

/**
 * Binds the swappable pieces once every plugin has loaded (avvio's
 * preReady): the gate is built, then the router compiles each method's
 * context against it, so the hot path never looks a piece up per frame.
 */
export function compile (state: State): void {
  const { opts, activity } = state
  const gate = state.gate({ concurrency: opts.concurrency, maxQueue: opts.maxQueue }, { run: runAdmitted, activity })
  if (gate === null || typeof gate !== 'object' || typeof gate.enter !== 'function' || typeof gate.leave !== 'function' || typeof gate.drop !== 'function') {
    throw new codes.LINEFY_ERR_INVALID_GATE()
  }
  const admission: Admission = { gate, activity, maxQueue: opts.maxQueue }
  const mapperOf = (instance: object): ErrorMapper => {
    const mapper = internal(instance)[kErrorMapper]
    return opts.compat === 'seed' ? seedErrorMapper(mapper) : mapper
  }
  const core: RouterCore = {
    opts,
    compile: (def) => new Context(def, internal(def.instance)[kHooks], mapperOf(def.instance), admission, opts.validateResults),
    compileControl: (def: ControlDefinition): ControlContext => ({ type: def.type, handler: def.handler, errorMapper: mapperOf(def.instance) })
  }
  state.router.ready(core)
  // close() may have begun while plugins loaded: it must stay begun
  if (state.phase === Phase.Loading) state.phase = Phase.Booted
}
