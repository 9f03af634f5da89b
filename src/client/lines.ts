import { codes } from '../core/errors.js'
import type { Decoder, Framing } from '../framing/framing.js'

export interface LineHandlers {
  line (line: string): void
  /** The stream cannot be read on: a message over the cap, or bytes the framing cannot frame. */
  broken (why: string): void
}

/**
 * The server's own decoder, for the client side (client, bridge): a message
 * or a UTF-8 sequence split across chunks is joined before it is decoded,
 * and none grows past `max` bytes, so a runaway daemon cannot grow the
 * client's memory without bound.
 */
export function lineReader (framing: Framing, max: number, handlers: LineHandlers): Decoder {
  return framing.decoder(max, {
    frame: (buf) => handlers.line(buf.toString()),
    oversize: (bytes) => handlers.broken(new codes.LINEFY_ERR_REPLY_TOO_LONG(bytes, max).message),
    malformed: (reason) => handlers.broken(new codes.LINEFY_ERR_MALFORMED_FRAME(reason).message)
  })
}
