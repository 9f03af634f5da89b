import type { Readable, Writable } from 'node:stream'
import { codes } from './errors.js'
import type { LinefyInstance } from './instance.js'
import type { PluginFn } from './plugin.js'
import { Phase } from './state.js'
import { stateOf } from './transport.js'
import activation, { activationFds } from '../plugins/activation.js'
import fd from '../plugins/fd.js'
import http, { type HttpOptions } from '../plugins/http.js'
import stdio from '../plugins/stdio.js'
import tcp from '../plugins/tcp.js'
import unix from '../plugins/unix.js'

export interface ListenOptions {
  /** A unix socket file; socket activation takes its place when it applies. */
  path?: string
  /** Permissions of the socket file (default 0o600). */
  mode?: number
  /** An inherited listening fd. */
  fd?: number
  /** Serve the activated fds of this LISTEN_FDNAMES name only. */
  name?: string
  /** One connection over stdin/stdout. */
  stdio?: boolean
  input?: Readable
  output?: Writable
  /** TCP on 127.0.0.1 unless host says otherwise. */
  host?: string
  port?: number
  /** JSON-RPC over HTTP: `{ path }` for a unix socket file, `{ port, host }` for TCP, plus the HTTP options. */
  http?: HttpOptions
}

type Target = [PluginFn<never>, object]

function pick (opts: ListenOptions): Target {
  const given = [opts.path !== undefined, opts.fd !== undefined, opts.stdio === true, opts.host !== undefined || opts.port !== undefined, opts.http !== undefined]
  if (given.filter(Boolean).length > 1) throw new codes.LINEFY_ERR_INVALID_OPTION('of listen()', 'takes one of path, fd, stdio, host/port or http')
  // socket activation hands over line sockets: it never stands in for an HTTP listener
  if (opts.http !== undefined) return [http, opts.http]
  const activated = activationFds(process.env, process.pid).length > 0
  if (opts.path !== undefined) return activated ? [activation, { name: opts.name }] : [unix, { path: opts.path, mode: opts.mode }]
  if (opts.fd !== undefined) return [fd, { fd: opts.fd }]
  if (opts.stdio === true) return [stdio, { input: opts.input, output: opts.output }]
  if (given[3]) return [tcp, { host: opts.host, port: opts.port }]
  if (activated) return [activation, { name: opts.name }]
  throw new codes.LINEFY_ERR_NO_LISTEN_TARGET()
}

/**
 * Sugar over the transport plugins: registers the one `opts` names and
 * resolves once it listens. With a path or no target at all, socket
 * activation (LISTEN_PID/LISTEN_FDS for this process) wins, because then
 * the service manager has bound the socket for us.
 */
export async function listen (app: LinefyInstance, opts: ListenOptions = {}): Promise<LinefyInstance> {
  const [transport, transportOpts] = pick(opts)
  const state = stateOf(app)
  if (state.phase >= Phase.Closing) throw new codes.LINEFY_ERR_CLOSED('listen')
  if (state.readyPromise === null) {
    app.register(transport as PluginFn, transportOpts as Record<string, unknown>)
    return app.ready()
  }
  // avvio takes no plugin once booted: start the transport directly
  await app.ready()
  if (state.phase >= Phase.Closing) throw new codes.LINEFY_ERR_CLOSED('listen')
  await (transport as PluginFn)(app, transportOpts as Record<string, unknown>)
  return app
}
