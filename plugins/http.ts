import type { AddressInfo, Socket } from 'node:net'
import { codes } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'
import { firstHandler, HttpHandler } from '../src/http/handler.js'
import { resolveOptions } from '../src/http/options.js'
import type { HttpOptions } from '../src/http/types.js'
import { serveNet, type Binding } from '../src/transport/serve-net.js'
import { tcpBinding } from './tcp.js'
import { unixBinding } from './unix.js'

export type { HttpOptions } from '../src/http/types.js'
export { addHttpRoute, type HttpRoute } from '../src/http/routes.js'

function formatAddress (a: AddressInfo): string {
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
}

/**
 * JSON-RPC over HTTP POST, on a unix socket file (every rule of the unix
 * transport) or TCP (127.0.0.1 unless told otherwise), through the same
 * pipeline as a line: router, hooks, schemas, gate, cancellation, logs.
 * Slow clients are cut off by header and request timeouts, headers and
 * bodies are capped, and so are concurrent connections. close() drains it
 * like the line transports.
 */
export default plugin<HttpOptions>(async function httpTransport (app, opts) {
  const o = resolveOptions(opts)
  const tcp = opts.path === undefined
  if (!tcp && (opts.host !== undefined || opts.port !== undefined)) throw new codes.LINEFY_ERR_INVALID_OPTION('of the HTTP transport', 'takes a path or host/port, not both')
  const binding = tcp ? tcpBinding({ host: opts.host, port: opts.port }) : unixBinding({ path: opts.path as string, mode: opts.mode })
  const handler = new HttpHandler(app, o)
  firstHandler(app, handler)

  const { HttpServer } = await import('../src/http/server.js')
  const server = new HttpServer({
    maxHeaderSize: o.maxHeaderSize,
    headersTimeout: o.headersTimeout,
    requestTimeout: o.requestTimeout,
    keepAliveTimeout: o.keepAliveTimeout,
    // how often the two timeouts are checked: Node's 30 s default would let a slow client stay that much longer
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(o.headersTimeout / 4)))
  })
  // one more than accepted, so that a request over the count is seen and refused rather than cut silently
  server.maxHeadersCount = o.maxHeadersCount + 1
  server.on('connection', (socket: Socket) => handler.connection(socket))
  server.on('request', (req, res) => handler.request(req, res, false))
  // a body is awaited only once its headers passed: a refused one is never sent
  server.on('checkContinue', (req, res) => handler.request(req, res, true))
  server.on('clientError', (err, socket) => handler.clientError(err, socket as Socket))
  app.addHook('preClose', () => handler.beginClose())

  const http: Binding = {
    async bind (s) {
      const address = await binding.bind(s)
      if (typeof address === 'string') return `http+unix:${address}`
      handler.checkHosts(address.port)
      return formatAddress(address)
    }
  }
  if (binding.release !== undefined) http.release = binding.release
  await serveNet(app, http, server)
}, { name: 'linefy-http' })
