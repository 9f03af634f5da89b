import { tmpdir } from 'node:os'

// the longest socket path a test builds under its temp dir adds ~40 bytes to
// this base, and unix socket addresses stop at 107 (103 on macOS)
const MAX_BASE = 60

/**
 * Where tests make their temp dirs: os.tmpdir(), unless TMPDIR is so long
 * that a socket path under it would not fit in sun_path; then /tmp.
 */
export function socketTmpdir (): string {
  const base = tmpdir()
  return Buffer.byteLength(base) <= MAX_BASE ? base : '/tmp'
}
