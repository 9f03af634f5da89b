import { StringDecoder } from 'node:string_decoder'

/**
 * Splits a byte stream into lines for the client side (client, bridge). A
 * line or a UTF-8 sequence split across chunks is joined before it is handed
 * on; blank lines are skipped.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private rest = ''
  private readonly onLine: (line: string) => void

  constructor (onLine: (line: string) => void) {
    this.onLine = onLine
  }

  push (chunk: Buffer): void {
    const s = this.rest + this.decoder.write(chunk)
    let start = 0
    let nl = s.indexOf('\n')
    while (nl !== -1) {
      this.emit(s.slice(start, nl))
      start = nl + 1
      nl = s.indexOf('\n', start)
    }
    this.rest = s.slice(start)
  }

  /** The stream ended: a last line without its newline still counts. */
  end (): void {
    const s = this.rest + this.decoder.end()
    this.rest = ''
    this.emit(s)
  }

  private emit (line: string): void {
    if (line.trim() !== '') this.onLine(line)
  }
}
