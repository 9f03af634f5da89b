import Avvio from 'avvio'
import { Hooks } from '../request/hooks.js'
import { abortWith, dropRequest } from '../request/handle-request.js'
import { createActivity } from './activity.js'
import { override } from './encapsulation.js'
import type { LinefyInstance, LinefyOptions } from './instance.js'
import type { InternalInstance } from './internal.js'
import { createLogger } from './logger.js'
import { resolveOptions } from './options.js'
import { kAvvioUse, proto } from './proto.js'
import { Phase, type State } from './state.js'
import { kAvvioClose, kAvvioReady, kErrorMapper, kFraming, kHooks, kPrefix, kState } from './symbols.js'
import { defaultErrorMapper } from '../../plugins/error-mapper.js'
import { fastqGate } from '../../plugins/gate.js'
import { ndjsonFraming } from '../../plugins/ndjson.js'
import { JsonRpcRouter } from '../../plugins/router.js'

/**
 * Creates a linefy instance. The core pieces are built here into their
 * slots, as Fastify builds its router and error handler: the default
 * framing, router, error mapper and gate, each replaceable before ready()
 * (setFraming, setRouter, setErrorMapper, setGate, or the options).
 */
export function linefy (options: LinefyOptions = {}): LinefyInstance {
  const opts = resolveOptions(options)
  const log = createLogger(options.logger)
  const activity = createActivity()
  const state: State = {
    opts,
    log,
    activity,
    router: undefined as never,
    gate: fastqGate,
    methodNames: new Set(),
    controlTypes: new Set(),
    connections: new Set(),
    onReady: [],
    preClose: [],
    transports: [],
    addresses: [],
    servers: new Set(),
    phase: Phase.Loading,
    readyPromise: null,
    closePromise: null,
    nextConnectionId: 1,
    onConnectionClosed: null,
    abort: abortWith as State['abort'],
    drop: dropRequest as State['drop']
  }
  const app = Object.create(proto) as InternalInstance
  app[kState] = state
  app[kHooks] = new Hooks()
  app[kPrefix] = ''
  app[kErrorMapper] = defaultErrorMapper
  app[kFraming] = ndjsonFraming
  Object.defineProperty(app, 'log', { value: log, enumerable: true })
  Object.defineProperty(app, 'activity', { value: activity, enumerable: true })
  app.setRouter(options.router ?? new JsonRpcRouter())
  if (options.gate !== undefined) app.setGate(options.gate)

  const avvio = Avvio(app, {
    autostart: false,
    timeout: options.pluginTimeout ?? 10_000,
    expose: { use: kAvvioUse as unknown as string, ready: kAvvioReady as unknown as string, close: kAvvioClose as unknown as string }
  })
  avvio.override = override as never
  return app
}
