import { once, type EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'
import type { LinefyInstance, Reply } from '../../index.js'

/** What the helpers need of a tap test: a place to register cleanup. */
export interface Teardown { teardown: (fn: () => unknown) => void }

/** A fresh, short temp dir (unix socket paths must stay under ~100 bytes), removed at teardown. */
// the longest socket path a test builds under its temp dir adds ~40 bytes to
// this base, and unix socket addresses stop at 107 (103 on macOS)
const MAX_BASE = 60

/**
 * Where tests make their temp dirs: os.tmpdir(), unless TMPDIR is so long
 * that a socket path under it would not fit in sun_path; then /tmp.
 */
export function socketTmpdir (): string {
  const base = tmpdir()
  return Buffer.byteLength(base) <= MAX_BASE ? base : '/tmp'
}

export function tempDir (t: Teardown): string {
  const dir = mkdtempSync(join(socketTmpdir(), 'lfy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A socket path inside a fresh temp dir. */
export function tempSocket (t: Teardown, name = 'd.sock'): string {
  return join(tempDir(t), name)
}

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

/** Waits for one event, bounded: a test waiting for an event that never comes fails instead of hanging. */
export async function waitFor<T = unknown[]> (emitter: EventEmitter, event: string, what = event, ms = 10_000): Promise<T> {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  try {
    return await once(emitter, event, { signal: ac.signal }) as T
  } finally {
    clearTimeout(timer)
  }
}

/** Asks `probe` again until it answers true, at most `attempts` times: for state no event announces. */
export async function poll (probe: () => Promise<boolean>, attempts = 1000): Promise<void> {
  for (let i = 0; i < attempts; i++) if (await probe()) return
  throw new Error(`condition not met after ${attempts} attempts`)
}

/** Resolves once a stream has closed, at once if it already has; errors on the way are expected. */
export function whenClosed (stream: { closed: boolean, once: (e: 'close', fn: () => void) => unknown }): Promise<void> {
  if (stream.closed) return Promise.resolve()
  return new Promise((resolve) => { stream.once('close', resolve) })
}

export function rpc (id: string | number | null | undefined, method: string, params?: unknown): Record<string, unknown> {
  const msg: Record<string, unknown> = { jsonrpc: '2.0', method }
  if (id !== undefined) msg.id = id
  if (params !== undefined) msg.params = params
  return msg
}

/**
 * app.inject() with raw lines, typed as the list it resolves to: the
 * instance typing tries the `object` overload first, which an array matches.
 */
export function injectLines (app: LinefyInstance, lines: Array<string | object>): Promise<Array<Reply | undefined>> {
  return app.inject(lines) as unknown as Promise<Array<Reply | undefined>>
}

/** One pino record, parsed: `level` and `msg` as pino writes them, anything else as the test reads it. */
export type LogRecord = { level: number, msg?: string } & Record<string, any>

/** A pino logger at `level` whose records the test can read back, each as soon as it is written. */
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
