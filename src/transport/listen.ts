import { codes } from '../core/errors.js'
import type { LinefyInstance, ListenOptions, PluginFn } from '../core/instance.js'
import { Phase } from '../core/state.js'
import { stateOf } from './serve-net.js'
import activation, { activationFds } from '../../plugins/activation.js'
import fd from '../../plugins/fd.js'
import http from '../../plugins/http.js'
import stdio from '../../plugins/stdio.js'
import tcp from '../../plugins/tcp.js'
import unix from '../../plugins/unix.js'

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
