import type { Server } from 'node:net'
import { codes } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'
import { listenOn, serveNet, type Address } from '../src/transport/serve-net.js'

export interface FdOptions {
  /** A listening socket this process inherited (unix or TCP). */
  fd: number
}

export function checkFd (fd: unknown): number {
  if (!Number.isInteger(fd) || (fd as number) < 0) throw new codes.LINEFY_ERR_INVALID_OPTION('fd', `must be a file descriptor number, got ${String(fd)}`)
  return fd as number
}

/** Serves an inherited listening fd. Its socket file, if any, belongs to whoever bound it: never touched. */
export async function bindFd (server: Server, fd: number): Promise<Address> {
  await listenOn(server, { fd }, `fd ${fd}`, 'pass the fd of a bound, listening socket')
  return server.address() ?? `fd:${fd}`
}

export default plugin<FdOptions>(async function fdTransport (app, opts) {
  const fd = checkFd(opts.fd)
  await serveNet(app, { bind: (server) => bindFd(server, fd) })
}, { name: 'linefy-fd' })
