import type { Decoder } from '../framing/framing.js'
import { NdjsonDecoder } from '../../plugins/ndjson.js'

/**
 * The server's own NDJSON decoder, for the client side (client, bridge): a
 * line or a UTF-8 sequence split across chunks is joined before it is
 * decoded, and no line grows past `max` bytes, so a runaway daemon cannot
 * grow the client's memory without bound.
 */
export function lineDecoder (max: number, onLine: (line: string) => void, onOversize: (bytes: number) => void): Decoder {
  return new NdjsonDecoder(max, {
    frame: (buf) => onLine(buf.toString()),
    oversize: onOversize,
    // NDJSON never reports a malformed stream: any bytes are a line or part of one
    malformed: () => {}
  })
}
