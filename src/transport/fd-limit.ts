import { readFileSync } from 'node:fs'

/**
 * How many file descriptors this process may have open (RLIMIT_NOFILE; node
 * raises the soft limit to the hard one at startup), read from /proc on
 * Linux. Null where it cannot be read, or when it is unlimited.
 */
export function fdLimit (limits = '/proc/self/limits'): number | null {
  let text: string
  try {
    text = readFileSync(limits, 'latin1')
  } catch {
    return null
  }
  const m = /^Max open files\s+(\d+)/m.exec(text)
  return m === null ? null : Number(m[1])
}

/**
 * How many connections one listener takes before it refuses more: the
 * descriptor limit less a share kept for what the daemon itself opens (its
 * files, node's own handles). Past the limit libuv would accept and close
 * each new connection silently, so the daemon could not even say so.
 */
export function connectionCap (limit: number | null): number | null {
  return limit === null ? null : Math.max(1, limit - Math.max(64, Math.floor(limit / 10)))
}
