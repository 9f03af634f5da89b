import { codes } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'
import { serveNet } from '../src/transport/serve-net.js'
import { bindFd } from './fd.js'

/** SD_LISTEN_FDS_START: the first fd a service manager passes. */
const FIRST_FD = 3
// a count beyond any fd table: garbage, not activation
const COUNT = /^[1-9][0-9]{0,4}$/

export interface InheritedFd {
  fd: number
  /** Its FileDescriptorName= from LISTEN_FDNAMES, 'unknown' when names are not passed. */
  name: string
}

/**
 * The listening fds a service manager passed to process `pid` (systemd's
 * sd_listen_fds protocol), or none: LISTEN_PID must be exactly that pid and
 * LISTEN_FDS a count >= 1; LISTEN_FDNAMES, when set, names every fd. Any
 * mismatch or garbage means not activated, so the caller binds by itself.
 */
export function activationFds (env: NodeJS.ProcessEnv, pid: number): InheritedFd[] {
  const count = env.LISTEN_FDS
  if (env.LISTEN_PID !== String(pid) || count === undefined || !COUNT.test(count)) return []
  const n = Number(count)
  const names = env.LISTEN_FDNAMES?.split(':') ?? new Array<string>(n).fill('unknown')
  if (names.length !== n) return []
  return names.map((name, i) => ({ fd: FIRST_FD + i, name }))
}

export interface ActivationOptions {
  /** Serve only the fds with this FileDescriptorName= (default: all of them). */
  name?: string
}

/**
 * Serves the fds of socket activation. The variables are removed as they
 * are read, so child processes never take our fds for theirs. The manager
 * owns the socket files: nothing is created, chmod-ed or unlinked.
 */
export default plugin<ActivationOptions>(async function activation (app, opts) {
  const fds = activationFds(process.env, process.pid)
  delete process.env.LISTEN_PID
  delete process.env.LISTEN_FDS
  delete process.env.LISTEN_FDNAMES
  if (fds.length === 0) throw new codes.LINEFY_ERR_NOT_ACTIVATED('does not apply: LISTEN_PID/LISTEN_FDS are unset, not for this process or not valid')
  const chosen = opts.name === undefined ? fds : fds.filter((f) => f.name === opts.name)
  if (chosen.length === 0) throw new codes.LINEFY_ERR_NOT_ACTIVATED(`passed no fd named '${opts.name}' (names: ${fds.map((f) => f.name).join(', ')})`)
  await Promise.all(chosen.map(({ fd }) => serveNet(app, { bind: (server) => bindFd(server, fd) })))
}, { name: 'linefy-activation' })
