import { codes } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'
import { listenOn, serveNet, type Address, type Binding } from '../src/transport/serve-net.js'

export interface TcpOptions {
  /** Default 127.0.0.1: JSON-RPC daemons have no authentication of their own. */
  host?: string
  /** Default 0: a free port, see app.addresses(). */
  port?: number
}

/** Binds host:port, 127.0.0.1 unless told otherwise; options are checked at once. */
export function tcpBinding (opts: TcpOptions): Binding {
  const host = opts.host ?? '127.0.0.1'
  const port = opts.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new codes.LINEFY_ERR_INVALID_OPTION('port', `must be an integer from 0 to 65535, got ${String(port)}`)
  return {
    async bind (server) {
      await listenOn(server, { host, port }, `${host}:${port}`, 'check the host is a local address')
      return server.address() as Address
    }
  }
}

/**
 * TCP, as a user-written transport would be: a net.Server whose sockets go
 * to app.serve(). Off unless registered.
 */
export default plugin<TcpOptions>(async function tcpTransport (app, opts) {
  await serveNet(app, tcpBinding(opts))
}, { name: 'linefy-tcp' })
