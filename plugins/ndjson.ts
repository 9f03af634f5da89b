import { isAscii } from 'node:buffer'
import type { Decoder, FrameSink, Framing } from '../src/framing/framing.js'
import { plugin } from '../src/core/encapsulation.js'

const NL = 10
const CR = 13
const SPACE = 32
const TAB = 9

function isBlank (buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]
    if (c !== SPACE && c !== TAB && c !== CR) return false
  }
  return true
}

function isBlankText (text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c !== SPACE && c !== TAB && c !== CR) return false
  }
  return true
}

/**
 * Newline-delimited frames. Each chunk is scanned once, from where the last
 * newline was found; a partial line is kept as a list of slices and joined
 * only when its newline arrives (a line inside one chunk is never copied).
 * The size cap holds for the partial line too, whatever the chunking: past
 * it the line is reported once and skipped up to its newline. An all-ASCII
 * chunk is decoded once, and its lines handed over as slices of that string:
 * one decode per read, not one per line.
 */
export class NdjsonDecoder implements Decoder {
  private parts: Buffer[] = []
  private size = 0
  private skipping = false
  private readonly max: number
  private readonly sink: FrameSink

  constructor (max: number, sink: FrameSink) {
    this.max = max
    this.sink = sink
  }

  push (chunk: Buffer): void {
    // an all-ASCII chunk is decoded when its first whole line is met (null: not ASCII):
    // a chunk holding only part of a long line is never looked at twice
    let text: string | null | undefined
    let start = 0
    let nl = chunk.indexOf(NL)
    while (nl !== -1) {
      if (this.skipping) {
        this.skipping = false
      } else {
        const size = this.size + nl - start
        if (size > this.max) this.sink.oversize(size)
        else if (this.size !== 0) this.emit(Buffer.concat([...this.parts, chunk.subarray(start, nl)], size))
        else {
          if (text === undefined) text = isAscii(chunk) ? chunk.toString('latin1') : null
          if (text === null) this.emit(chunk.subarray(start, nl))
          else this.emitText(text, start, nl)
        }
      }
      // Stryker disable next-line ConditionalExpression: equivalent, resetting an empty partial line again changes nothing
      if (this.size !== 0) {
        this.parts = []
        this.size = 0
      }
      start = nl + 1
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, indexOf from the end finds nothing either
      nl = start < chunk.length ? chunk.indexOf(NL, start) : -1
    }
    if (start >= chunk.length || this.skipping) return
    const rest = chunk.length - start
    if (this.size + rest > this.max) {
      this.sink.oversize(this.size + rest)
      this.parts = []
      this.size = 0
      this.skipping = true
      return
    }
    // Stryker disable next-line ConditionalExpression: equivalent, subarray(0) views the same bytes
    this.parts.push(start === 0 ? chunk : chunk.subarray(start))
    this.size += rest
  }

  end (): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, no parts join to an empty line, which emit skips
    if (this.size > 0) this.emit(Buffer.concat(this.parts, this.size))
    this.parts = []
    this.size = 0
    this.skipping = false
  }

  private emit (line: Buffer): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, an empty line has no last byte to be \r
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1)
    // Stryker disable next-line ConditionalExpression: equivalent, isBlank holds for an empty line too
    if (line.length === 0 || isBlank(line)) return
    this.sink.frame(line)
  }

  private emitText (text: string, start: number, end: number): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the byte before an empty line is the last \n, or none
    if (end > start && text.charCodeAt(end - 1) === CR) end--
    // Stryker disable next-line ConditionalExpression: equivalent, isBlankText holds for an empty line too
    if (end === start || isBlankText(text, start, end)) return
    this.sink.frame(text.slice(start, end))
  }
}

export const ndjsonFraming: Framing = {
  name: 'ndjson',
  // Stryker disable next-line BooleanLiteral: equivalent, false only makes asciiOnly check each reply rather than each write
  asciiTransparent: true,
  encode (message: string): string {
    return message + '\n'
  },
  decoder (maxBytes: number, sink: FrameSink): Decoder {
    return new NdjsonDecoder(maxBytes, sink)
  }
}

/** Newline-delimited JSON framing (the default). */
export default plugin(async function ndjson (app) {
  app.setFraming(ndjsonFraming)
}, { name: 'linefy-ndjson' })
