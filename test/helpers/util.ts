import { Duplex, PassThrough, Writable } from 'node:stream'
import pino, { type Logger } from 'pino'
import type { LinefyInstance, Reply } from '../../index.js'

export interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (err: unknown) => void
}

/** A promise the test settles by hand: handlers block on it until released. */
export function deferred<T = void> (): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

/** Resolves once everything already scheduled (microtasks, nextTicks, timers due) has run. */
export function settle (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export function rpc (id: string | number | null | undefined, method: string, params?: unknown): Record<string, unknown> {
  const msg: Record<string, unknown> = { jsonrpc: '2.0', method }
  if (id !== undefined) msg.id = id
  if (params !== undefined) msg.params = params
  return msg
}

export interface LogRecord {
  level: number
  msg?: string
  err?: { message: string, stack: string, type: string }
  [key: string]: unknown
}

/** A pino logger at `level` whose records the test can read back. */
export function captureLogger (level = 'trace'): { log: Logger, records: LogRecord[] } {
  const records: LogRecord[] = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as LogRecord)
      cb()
    }
  })
  return { log: pino({ level }, stream), records }
}

/**
 * An in-memory socket: `server` goes to app.serve(), the test writes what the
 * client sends with `send` and reads what the server wrote from `lines`.
 */
export interface SocketPair {
  server: Duplex
  send: (s: string | Buffer) => void
  end: () => void
  /** Complete lines the server wrote so far. */
  lines: string[]
  nextLine: () => Promise<string>
  /** Resolves with everything written so far once `done(output)` holds. */
  output: (done: (out: string) => boolean) => Promise<string>
  ended: Promise<void>
}

export function socketPair (): SocketPair {
  const toServer = new PassThrough()
  const toClient = new PassThrough()
  const server = Duplex.from({ readable: toServer, writable: toClient })
  const lines: string[] = []
  const waiters: Array<(line: string) => void> = []
  let consumed = 0
  let partial = ''
  let raw = ''
  const watchers: Array<() => void> = []
  toClient.on('data', (chunk: Buffer) => {
    raw += chunk.toString()
    for (const w of watchers.slice()) w()
    partial += chunk.toString()
    let nl = partial.indexOf('\n')
    while (nl !== -1) {
      lines.push(partial.slice(0, nl))
      partial = partial.slice(nl + 1)
      nl = partial.indexOf('\n')
    }
    while (waiters.length > 0 && consumed < lines.length) (waiters.shift() as (line: string) => void)(lines[consumed++])
  })
  const ended = new Promise<void>((resolve) => toClient.on('end', resolve))
  return {
    server,
    send: (s) => toServer.write(s),
    end: () => toServer.end(),
    lines,
    nextLine: () => consumed < lines.length
      ? Promise.resolve(lines[consumed++])
      : new Promise((resolve) => waiters.push(resolve)),
    output: (done) => new Promise((resolve) => {
      const check = () => {
        if (!done(raw)) return false
        watchers.splice(watchers.indexOf(check), 1)
        resolve(raw)
        return true
      }
      watchers.push(check)
      check()
    }),
    ended
  }
}

/**
 * app.inject() with raw lines, typed as the list it resolves to: the
 * instance typing tries the `object` overload first, which an array matches.
 */
export function injectLines (app: LinefyInstance, lines: Array<string | object>): Promise<Array<Reply | undefined>> {
  return app.inject(lines) as unknown as Promise<Array<Reply | undefined>>
}
