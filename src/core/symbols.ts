// Internal slots live under symbols so decorations can never clash with them.
export const kState = Symbol('linefy.state')
export const kHooks = Symbol('linefy.hooks')
export const kPrefix = Symbol('linefy.prefix')
export const kErrorMapper = Symbol('linefy.errorMapper')
export const kFraming = Symbol('linefy.framing')
export const kAvvioReady = Symbol('linefy.avvioReady')
export const kAvvioClose = Symbol('linefy.avvioClose')

export const kSkipOverride = Symbol.for('skip-override')
export const kPluginMeta = Symbol.for('plugin-meta')

// request slots
export const kContext = Symbol('linefy.request.context')
export const kSink = Symbol('linefy.request.sink')
export const kSlot = Symbol('linefy.request.slot')
export const kIdJson = Symbol('linefy.request.idJson')
export const kController = Symbol('linefy.request.controller')
export const kReason = Symbol('linefy.request.reason')
export const kTimer = Symbol('linefy.request.timer')
export const kStage = Symbol('linefy.request.stage')
export const kAdmission = Symbol('linefy.request.admission')
/** A slot a gate may keep per request (the default keeps fastq's done callback there). */
export const kGateSlot = Symbol('linefy.request.gateSlot')
export const kLog = Symbol('linefy.request.log')
/** In the connection's in-flight list: every request that can be pending across a tick is. */
export const kTracked = Symbol('linefy.request.tracked')
/** Ids of the requests dispatched on a request's behalf (conn.dispatch({ parent })), cancelled with it. */
export const kChildren = Symbol('linefy.request.children')
