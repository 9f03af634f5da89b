import { codes } from '../core/errors.js'

/**
 * One page of a list and the cursor of the next: an opaque string (the
 * offset, base64url), as MCP's pagination asks; a cursor that is not one
 * of ours is refused with -32602.
 */
export function page<T> (items: readonly T[], cursor: string | undefined, size: number): { items: T[], nextCursor?: string } {
  let from = 0
  if (cursor !== undefined) {
    const text = Buffer.from(cursor, 'base64url').toString()
    from = /^(0|[1-9][0-9]{0,9})$/.test(text) ? Number(text) : -1
    if (from < 0 || from > items.length) throw new codes.LINEFY_ERR_MCP_INVALID_CURSOR(cursor.slice(0, 64))
  }
  const to = from + size
  const out = items.slice(from, to)
  return to < items.length ? { items: out, nextCursor: Buffer.from(String(to)).toString('base64url') } : { items: out }
}
