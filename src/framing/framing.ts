/**
 * A framing turns a byte stream into frames (one message each) and a message
 * into bytes. NDJSON is the default; Content-Length (LSP) swaps in with one
 * register call. Frames are handed over as they are found, so the decoder
 * never holds more than one partial message.
 */
export interface Framing {
  readonly name: string
  /**
   * The framing adds only ASCII and counts no bytes (NDJSON), so escaping a
   * run of encoded messages at once equals escaping each: asciiOnly then
   * checks each write once rather than each reply.
   */
  readonly asciiTransparent?: boolean
  encode (message: string): string
  decoder (maxBytes: number, sink: FrameSink): Decoder
}

export interface Decoder {
  push (chunk: Buffer): void
  /** The stream ended: a trailing message without its terminator still counts. */
  end (): void
}

export interface FrameSink {
  /**
   * One message: its bytes, or its text when the decoder has decoded it
   * already (valid by construction, so no UTF-8 check). `ascii`: the bytes
   * are all ASCII, so the UTF-8 check can be skipped.
   */
  frame (message: Buffer | string, ascii?: boolean): void
  /** A message over maxBytes was skipped; the decoder has resynchronised. */
  oversize (bytes: number): void
  /** The stream cannot be framed any more; the connection will end. */
  malformed (reason: string): void
}
