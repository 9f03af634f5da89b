import type { AddressInfo } from 'node:net'
import { plugin } from '../src/core/encapsulation.js'
import { codes } from '../src/core/errors.js'
import { describeMethod } from '../src/discovery/describe.js'
import { errorComponents, OPENRPC_VERSION, type InfoObject, type MethodObject, type OpenRpcDocument, type ServerObject } from '../src/discovery/document.js'
import { RawJson } from '../src/request/reply.js'

export type { OpenRpcDocument } from '../src/discovery/document.js'

export const DISCOVER = 'rpc.discover'

export interface DiscoverOptions {
  /** The document's `info` (default title 'linefy', version '0.0.0'). */
  info?: Partial<InfoObject>
}

/** Where a transport listens, as an OpenRPC server: a URL with the transport as its scheme. */
export function serverOf (address: string | AddressInfo): ServerObject {
  if (typeof address !== 'string') {
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return { name: 'tcp', url: `tcp://${host}:${address.port}` }
  }
  if (address === 'stdio') return { name: 'stdio', url: 'stdio://' }
  if (/^fd:\d+$/.test(address)) return { name: 'fd', url: address }
  const path = address.split('/').map(encodeURIComponent).join('/')
  // an absolute path gets the empty authority of unix:///run/x.sock; a relative one none
  return { name: 'unix', url: (address.startsWith('/') ? 'unix://' : 'unix:') + path }
}

function isEmpty (params: unknown): boolean {
  if (params === undefined) return true
  return Array.isArray(params) ? params.length === 0 : Object.keys(params as object).length === 0
}

/**
 * `rpc.discover`: the OpenRPC document of the method table. The methods are
 * described once, at ready() (a method OpenRPC cannot describe fails it);
 * the document is serialised on the first call, when the transports are
 * listening and `servers` can name them, and answered from that string
 * until the addresses change.
 */
export default plugin<DiscoverOptions>(async function discover (app, opts) {
  const info: InfoObject = { title: 'linefy', version: '0.0.0', ...opts.info }
  let methods: MethodObject[] = []
  let built: { addresses: string, reply: RawJson } | null = null

  app.addHook('onReady', async function () {
    // rpc.* names belong to the protocol, not to the service
    methods = app.methods().filter((m) => !m.name.startsWith('rpc.')).map(describeMethod)
  })

  app.method(DISCOVER, { summary: 'This service\'s OpenRPC document.' }, (req) => {
    // OpenRPC clients send no params, [] or {}: anything more is a mistake
    if (!isEmpty(req.params)) throw new codes.LINEFY_ERR_INVALID_PARAMS('/', `${DISCOVER} takes no params`)
    const listening = app.addresses()
    const addresses = JSON.stringify(listening)
    if (built === null || built.addresses !== addresses) {
      const doc: OpenRpcDocument = {
        openrpc: OPENRPC_VERSION,
        info,
        servers: listening.map(serverOf),
        methods,
        components: { errors: errorComponents }
      }
      built = { addresses, reply: new RawJson(doc) }
      app.log.debug({ methods: methods.length, bytes: built.reply.json.length }, 'OpenRPC document built')
    }
    return built.reply
  })
}, { name: 'linefy-discover' })
