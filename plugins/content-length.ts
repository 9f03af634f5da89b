import type { Decoder, FrameSink, Framing } from '../src/framing/framing.js'
import { plugin } from '../src/core/encapsulation.js'

const HEADER_END = Buffer.from('\r\n\r\n')
const MAX_HEADER_BYTES = 8192
const CONTENT_LENGTH = /^content-length:\s*(\d+)\s*$/im

/**
 * LSP-style frames: `Content-Length: N\r\n\r\n` then N bytes. A body over the
 * cap is reported once and its bytes skipped, so the stream stays in sync;
 * a header that cannot be read ends the connection.
 */
export class ContentLengthDecoder implements Decoder {
  private buf: Buffer = Buffer.alloc(0)
  private need = -1
  private skip = 0
  private dead = false
  private readonly max: number
  private readonly sink: FrameSink

  constructor (max: number, sink: FrameSink) {
    this.max = max
    this.sink = sink
  }

  push (chunk: Buffer): void {
    if (this.dead) return
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length)
      this.skip -= n
      chunk = chunk.subarray(n)
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    for (;;) {
      if (this.need === -1) {
        const end = this.buf.indexOf(HEADER_END)
        if (end === -1) {
          if (this.buf.length > MAX_HEADER_BYTES) this.fail('header block over 8192 bytes')
          return
        }
        const m = CONTENT_LENGTH.exec(this.buf.subarray(0, end).toString('latin1'))
        if (m === null) return this.fail('missing Content-Length header')
        const length = Number(m[1])
        this.buf = this.buf.subarray(end + HEADER_END.length)
        if (length > this.max) {
          this.sink.oversize(length)
          const n = Math.min(length, this.buf.length)
          this.skip = length - n
          this.buf = this.buf.subarray(n)
          if (this.skip > 0) return
          continue
        }
        this.need = length
      }
      if (this.buf.length < this.need) return
      const body = this.buf.subarray(0, this.need)
      this.buf = this.buf.subarray(this.need)
      this.need = -1
      this.sink.frame(body)
    }
  }

  end (): void {
    if (!this.dead && (this.buf.length > 0 || this.need !== -1)) this.fail('stream ended inside a message')
  }

  private fail (reason: string): void {
    this.dead = true
    this.buf = Buffer.alloc(0)
    this.sink.malformed(reason)
  }
}

export const contentLengthFraming: Framing = {
  name: 'content-length',
  encode (message: string): string {
    return 'Content-Length: ' + Buffer.byteLength(message) + '\r\n\r\n' + message
  },
  decoder (maxBytes: number, sink: FrameSink): Decoder {
    return new ContentLengthDecoder(maxBytes, sink)
  }
}

/** Content-Length framing as LSP uses it. */
export default plugin(async function contentLength (app) {
  app.setFraming(contentLengthFraming)
}, { name: 'linefy-content-length' })
