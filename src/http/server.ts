import { Server } from 'node:http'

/**
 * server.close() (close() stopping the listener) would also destroy every
 * connection Node deems idle, which includes one whose last reply is still
 * being written to a slow reader: that reply would be cut. linefy ends idle
 * connections itself, once their replies are out (HttpHandler.beginClose).
 * Its own module, imported when an HTTP transport starts: node:http is a
 * few ms of every start of a daemon that serves none.
 */
export class HttpServer extends Server {
  override closeIdleConnections (): void {}
}
