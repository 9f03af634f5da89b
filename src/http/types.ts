import type { InjectOptions, Response } from 'light-my-request'

export interface HttpOptions {
  /** A unix socket file, bound with every rule of the unix transport (0700 directory, 0600 socket, ...). */
  path?: string
  /** Permissions of the socket file (default 0o600). */
  mode?: number
  /** TCP: 127.0.0.1 unless host says otherwise. */
  host?: string
  /** TCP port (default 0: a free port, see app.addresses()). */
  port?: number
  /** Where JSON-RPC is POSTed (default '/'). */
  endpoint?: string
  /** Where GET answers the lifecycle status, when the lifecycle plugin is registered (default '/health'). */
  healthEndpoint?: string
  /** TCP only: Host and Origin names accepted besides localhost, 127.0.0.1 and [::1], always with the listening port. */
  allowedHosts?: string[]
  /** Milliseconds a client has to send the request headers (default 10 000). */
  headersTimeout?: number
  /** Milliseconds a client has to send the whole request, body included (default 30 000). */
  requestTimeout?: number
  /** Milliseconds an idle keep-alive connection stays open (default 5 000). */
  keepAliveTimeout?: number
  /** Bytes of request headers accepted (default 16 KiB). */
  maxHeaderSize?: number
  /** Header fields accepted (default 100). */
  maxHeadersCount?: number
  /** HTTP connections open at once; past it a request is answered 503 (default 1024). */
  maxConnections?: number
}

/** A request for injectHttp(): light-my-request's options (method defaults to GET, as there). */
export type InjectHttpOptions = Omit<InjectOptions, 'server' | 'autoStart' | 'Request' | 'payloadAsStream'>

/** What injectHttp() resolves with: status, headers, body (`json()` parses it). */
export type InjectHttpResponse = Response
