import type { Duplex } from 'node:stream'
import type { Framing } from '../framing/framing.js'
import { asciiJson } from '../request/ascii-json.js'

/**
 * What a connection writes, gathered into one write: the replies made while
 * one chunk is read go out when it has been read (`hold`/`release`), the
 * rest once per tick, so a burst of replies costs one syscall. A burst must
 * not pile up past what the stream buffers, though: at the stream's
 * highWaterMark it is written at once, so a peer that does not read stops
 * the connection (onBlocked) right away.
 */
export class Outbox {
  private out = ''
  // a chunk is being read: its replies go out at release(), not on the next tick
  private held = false
  private readonly stream: Duplex
  private readonly framing: Framing
  private readonly onBlocked: () => void
  private readonly highWaterMark: number
  // asciiOnly: each message escaped before framing, or each write once when the framing allows
  private readonly asciiMessages: boolean
  private readonly asciiWrites: boolean

  constructor (stream: Duplex, framing: Framing, asciiOnly: boolean, onBlocked: () => void) {
    this.stream = stream
    this.framing = framing
    this.onBlocked = onBlocked
    this.highWaterMark = stream.writableHighWaterMark
    this.asciiWrites = asciiOnly && framing.asciiTransparent === true
    this.asciiMessages = asciiOnly && !this.asciiWrites
  }

  add (message: string): void {
    if (this.asciiMessages) message = asciiJson(message)
    if (this.out === '') {
      this.out = this.framing.encode(message)
      if (!this.held) process.nextTick(flushLater, this)
    } else {
      this.out += this.framing.encode(message)
    }
    if (this.out.length >= this.highWaterMark) this.flush()
  }

  // Stryker disable next-line BlockStatement,BooleanLiteral: equivalent, without it a read's replies go out on the next tick instead, before any other I/O: fewer writes, not a different stream
  hold (): void { this.held = true }

  release (): void {
    this.held = false
    this.flush()
  }

  flush (): void {
    const s = this.out
    if (s === '') return
    this.out = ''
    if (!this.stream.write(this.asciiWrites ? asciiJson(s) : s)) this.onBlocked()
  }

  /** The connection is gone: what was gathered goes nowhere. */
  // Stryker disable next-line BlockStatement,StringLiteral: equivalent, a write to a destroyed stream is dropped without an 'error'; this only frees the text sooner
  discard (): void { this.out = '' }
}

function flushLater (outbox: Outbox): void {
  outbox.flush()
}
