import { resolve } from 'node:path'
import { codes, LinefyError } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'
import { bindSocketFile, clearStale, ensureParent, MAX_SOCKET_PATH, removeSocketFile, type Inode } from '../src/transport/socket-file.js'
import { bindError, serveNet, type Binding } from '../src/transport/serve-net.js'

const HINT = 'check that its directory exists and is writable by this user'

export interface UnixOptions {
  path: string
  /** Permissions of the socket file (default 0o600: only this user may connect). */
  mode?: number
}

function checkOptions (opts: UnixOptions): { path: string, mode: number } {
  if (typeof opts.path !== 'string' || opts.path === '') throw new codes.LINEFY_ERR_INVALID_OPTION('path', `must be a socket file path, got ${String(opts.path)}`)
  const mode = opts.mode ?? 0o600
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new codes.LINEFY_ERR_INVALID_OPTION('mode', `must be file permissions such as 0o600, got ${String(mode)}`)
  // absolute, so the file can still be found at close after a chdir
  const path = resolve(opts.path)
  const bytes = Buffer.byteLength(path)
  if (bytes > MAX_SOCKET_PATH) throw new codes.LINEFY_ERR_SOCKET_PATH_TOO_LONG(path, bytes, MAX_SOCKET_PATH)
  return { path, mode }
}

/**
 * Binds a unix socket file, the way a per-user daemon must: parent
 * directory 0700, socket 0600, a live daemon's socket never taken over, a
 * stale one removed, no symlink followed, and the file removed at close
 * only while it is still ours. Options are checked at once, so a bad path
 * fails the plugin at load.
 */
export function unixBinding (opts: UnixOptions): Binding {
  const { path, mode } = checkOptions(opts)
  let inode: Inode | null = null
  return {
    async bind (server) {
      try {
        await ensureParent(path)
        await clearStale(path)
        inode = await bindSocketFile(server, path, mode)
      } catch (err) {
        throw err instanceof LinefyError ? err : bindError(err as NodeJS.ErrnoException, path, HINT)
      }
      return path
    },
    async release () {
      await removeSocketFile(path, inode as Inode)
    }
  }
}

/** Listens on a unix socket file (see unixBinding for its rules). */
export default plugin<UnixOptions>(async function unixTransport (app, opts) {
  await serveNet(app, unixBinding(opts))
}, { name: 'linefy-unix' })
