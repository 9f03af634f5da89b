import type { LinefyInstance } from '../src/core/instance.js'
import { plugin } from '../src/core/encapsulation.js'
import { Lifecycle } from '../src/lifecycle/lifecycle.js'
import type { ControlType, LifecycleOptions } from '../src/lifecycle/messages.js'

export { Lifecycle } from '../src/lifecycle/lifecycle.js'
export { isoNow } from '../src/lifecycle/messages.js'
export type { ControlReply, ControlRequests, ControlType, FsmState, LifecycleOptions, RequestType, Transition } from '../src/lifecycle/messages.js'

declare module '../src/core/instance.js' {
  interface LinefyInstance {
    lifecycle: Lifecycle
  }
}

const CONTROL_TYPES: readonly ControlType[] = ['status', 'user_initiated_sleep', 'force_wake', 'force_rem', 'pause', 'resume', 'session_open']

/**
 * The control plane of the reference daemon, with the Python daemon's
 * shapes: `app.lifecycle` is what the daemon's scheduler reads and honours.
 */
export default plugin<LifecycleOptions>(async function lifecycle (app: LinefyInstance, opts: LifecycleOptions) {
  const lc = new Lifecycle(app.activity, opts, app.log)
  await lc.load()
  app.decorate('lifecycle', lc)
  for (const type of CONTROL_TYPES) app.control(type, (msg) => lc.handle(type, msg))
  app.addHook('onClose', () => lc.flush())
}, { name: 'linefy-lifecycle' })
