import { errorLine, idJsonOf } from '../request/reply.js'

interface Entry {
  seq: number
  msg: unknown
  // a reply decided at read time (parse error, over-long line), sent in turn
  line: string | null
  cancelled: boolean
  // read after close() began: refused, never run
  late: boolean
}

/**
 * The lines a connection has read and not yet started, in order: a queue
 * with a moving head, compacted each time it empties, so a steady stream of
 * lines never shifts an array.
 */
export class Backlog {
  private readonly entries: Array<Entry | undefined> = []
  private head = 0

  /** Lines waiting to start. */
  get waiting (): number {
    return this.entries.length - this.head
  }

  push (seq: number, msg: unknown, line: string | null, late: boolean): void {
    this.entries.push({ seq, msg, line, cancelled: false, late })
  }

  shift (): Entry | undefined {
    const entries = this.entries
    if (this.head === entries.length) return undefined
    const e = entries[this.head]
    entries[this.head++] = undefined
    if (this.head === entries.length) {
      entries.length = 0
      this.head = 0
    }
    return e
  }

  /** Marks the first waiting request with this id, to be answered -32800 in its turn. */
  cancel (id: string | number): void {
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i] as Entry
      // a line answered at read time has no message, so no id
      if ((e.msg as { id?: unknown } | null | undefined)?.id === id) {
        e.cancelled = true
        return
      }
    }
  }

  // Stryker disable next-line BlockStatement: equivalent, called once the connection is gone, when nothing reads the backlog again; it only frees the lines sooner
  clear (): void { this.entries.length = this.head = 0 }
}

/** A line that must be answered without running: echo its id when it has one, nothing for a notification. */
export function refusal (msg: unknown, message: string, code: number): string | undefined {
  if (msg !== null && typeof msg === 'object' && !Array.isArray(msg)) {
    const m = msg as { jsonrpc?: unknown, id?: unknown }
    if (m.jsonrpc === '2.0' && m.id === undefined) return undefined
  }
  return errorLine(idJsonOf(msg), { code, message })
}
