import { chmod, link, lstat, mkdir, unlink } from 'node:fs/promises'
import { connect, type Server } from 'node:net'
import { basename, dirname, join } from 'node:path'
import type { Stats } from 'node:fs'
import { codes } from '../core/errors.js'
import { listenOn } from './serve-net.js'

/** sun_path holds 108 bytes on Linux, 104 on the BSDs and macOS, with a NUL at the end. */
export const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103

export interface Inode {
  dev: number
  ino: number
}

async function lstatOrNull (path: string): Promise<Stats | null> {
  try {
    return await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function sameInode (st: Stats | null, inode: Inode): boolean {
  return st !== null && st.dev === inode.dev && st.ino === inode.ino
}

/** The parent directory: created 0700 when missing, never a symlink. */
export async function ensureParent (path: string): Promise<void> {
  const dir = dirname(path)
  let st = await lstatOrNull(dir)
  if (st === null) {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    st = await lstat(dir)
  }
  if (st.isSymbolicLink()) throw new codes.LINEFY_ERR_UNSAFE_PATH(dir, 'the directory is a symlink: give the real directory in the socket path')
  if (!st.isDirectory()) throw new codes.LINEFY_ERR_UNSAFE_PATH(dir, 'it is not a directory')
}

// ECONNREFUSED: nobody listens; ENOENT: the file went away meanwhile
const STALE = new Set(['ECONNREFUSED', 'ENOENT'])

function probe (path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // a listener whose backlog is full: overloaded or stopped, but alive
      if (err.code === 'EAGAIN') return resolve(true)
      if (STALE.has(err.code as string)) return resolve(false)
      reject(new codes.LINEFY_ERR_UNSAFE_PATH(path, `probing the socket there failed (${err.code}): remove it by hand if no daemon uses it`))
    })
  })
}

/**
 * Clears the way for bind: nothing there is fine; a socket nobody answers on
 * is stale and removed; a live socket, a symlink or any other file refuses.
 */
export async function clearStale (path: string): Promise<void> {
  const st = await lstatOrNull(path)
  if (st === null) return
  if (st.isSymbolicLink()) throw new codes.LINEFY_ERR_UNSAFE_PATH(path, 'it is a symlink: remove it or choose another path')
  if (!st.isSocket()) throw new codes.LINEFY_ERR_UNSAFE_PATH(path, 'it exists and is not a socket: move it away or choose another path')
  if (await probe(path)) throw new codes.LINEFY_ERR_ADDR_IN_USE(path)
  // another daemon may have replaced the stale file while we probed: remove only the one probed
  if (sameInode(await lstatOrNull(path), st)) await unlink(path)
}

/**
 * A temporary name next to `path`, no longer than it so it fits sun_path too.
 * It only has to differ from another daemon's binding the same path at the
 * same moment (bind refuses a name that exists, and the directory is the
 * daemon's own): Math.random, not node:crypto, which would add ~3 ms to
 * every start.
 */
function temporaryName (path: string): string {
  const n = Math.max(6, basename(path).length - 1)
  let name = ''
  while (name.length < n) name += Math.random().toString(36).slice(2)
  return join(dirname(path), '.' + name.slice(0, n))
}

/**
 * Binds `server` at `path` with `mode`, and returns the inode bound.
 *
 * libuv unlinks the name it bound when the server closes, whatever file
 * has that name by then. So bind a temporary name and hard-link it into
 * place: at close libuv removes only the temporary name, and `path` is
 * removed by us only while it is still our socket. link() also refuses to
 * replace a file that appeared since clearStale(). The umask makes the
 * socket unreachable to others from the moment it exists.
 */
export async function bindSocketFile (server: Server, path: string, mode: number): Promise<Inode> {
  const tmp = temporaryName(path)
  const umask = process.umask(0o177)
  let listening: Promise<void>
  try {
    listening = listenOn(server, { path: tmp }, path, 'check that the directory is writable by this user')
  } finally {
    process.umask(umask)
  }
  await listening
  try {
    await chmod(tmp, mode)
    await link(tmp, path)
  } catch (err) {
    await new Promise((resolve) => server.close(resolve))
    throw (err as NodeJS.ErrnoException).code === 'EEXIST' ? new codes.LINEFY_ERR_ADDR_IN_USE(path) : err
  }
  await unlink(tmp)
  const st = await lstat(path)
  return { dev: st.dev, ino: st.ino }
}

/** Removes the socket file only if it is still the one we bound. */
export async function removeSocketFile (path: string, inode: Inode): Promise<void> {
  if (sameInode(await lstatOrNull(path), inode)) await unlink(path)
}
