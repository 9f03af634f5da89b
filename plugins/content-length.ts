import type { Decoder, FrameSink, Framing } from '../src/framing/framing.js'
import { plugin } from '../src/core/encapsulation.js'

const HEADER_END = Buffer.from('\r\n\r\n')
const MAX_HEADER_BYTES = 8192
const NOTHING = Buffer.alloc(0)

/** The body length a header block declares, or why it declares none. */
function declaredLength (header: string): number | string {
  let value: string | null = null
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue
    // two lengths that disagree are how a smuggled message gets past a proxy
    if (value !== null) return 'more than one Content-Length header: send exactly one'
    value = line.slice(colon + 1).trim()
  }
  if (value === null) return 'missing Content-Length header'
  // a length past 2^53 cannot be counted down exactly, so its body could never be skipped
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    return `Content-Length '${value.length > 32 ? value.slice(0, 32) + '...' : value}' is not a byte count: send the body's length in bytes`
  }
  return Number(value)
}

/**
 * LSP-style frames: `Content-Length: N\r\n\r\n` then N bytes. A body over the
 * cap is reported once and its bytes skipped, so the stream stays in sync;
 * a header that cannot be read ends the connection. A body is kept as the
 * slices it arrived in and joined once complete, so one sent a byte at a
 * time costs no more than one sent whole.
 */
export class ContentLengthDecoder implements Decoder {
  // the header block so far, while no length is known
  private head: Buffer = NOTHING
  // the body so far, once its length is known
  private parts: Buffer[] = []
  private size = 0
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
    while (chunk.length > 0 && !this.dead) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length)
        this.skip -= n
        chunk = chunk.subarray(n)
      } else if (this.need === -1) {
        chunk = this.header(chunk)
      } else {
        chunk = this.body(chunk)
      }
    }
  }

  end (): void {
    if (!this.dead && (this.head.length > 0 || this.need !== -1)) this.fail('stream ended inside a message')
  }

  /** Reads header bytes; returns what follows the header block, or nothing while it is incomplete. */
  private header (chunk: Buffer): Buffer {
    // Stryker disable next-line ConditionalExpression: equivalent, joining an empty head copies the same bytes
    const buf = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk])
    const end = buf.indexOf(HEADER_END)
    // the same limit whether the block ends in this chunk or a later one
    if (end > MAX_HEADER_BYTES || (end === -1 && buf.length > MAX_HEADER_BYTES + HEADER_END.length - 1)) {
      this.fail(`header block over ${MAX_HEADER_BYTES} bytes`)
      return NOTHING
    }
    if (end === -1) {
      this.head = buf
      return NOTHING
    }
    this.head = NOTHING
    const length = declaredLength(buf.subarray(0, end).toString('latin1'))
    if (typeof length === 'string') {
      this.fail(length)
      return NOTHING
    }
    if (length > this.max) {
      this.sink.oversize(length)
      this.skip = length
    } else if (length === 0) {
      this.sink.frame(NOTHING)
    } else {
      this.need = length
    }
    return buf.subarray(end + HEADER_END.length)
  }

  /** Reads body bytes; returns what follows the body. */
  private body (chunk: Buffer): Buffer {
    const take = Math.min(this.need - this.size, chunk.length)
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: equivalent, the general path frames the same bytes, copied
    if (this.size === 0 && take === this.need) {
      this.need = -1
      this.sink.frame(chunk.subarray(0, take))
      return chunk.subarray(take)
    }
    this.parts.push(chunk.subarray(0, take))
    this.size += take
    if (this.size === this.need) {
      const body = Buffer.concat(this.parts, this.size)
      this.parts = []
      this.size = 0
      this.need = -1
      this.sink.frame(body)
    }
    return chunk.subarray(take)
  }

  private fail (reason: string): void {
    this.dead = true
    this.head = NOTHING
    // Stryker disable next-line ArrayDeclaration: equivalent, a dead decoder reads no more parts
    this.parts = []
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
