import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { once, type EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { socketTmpdir } from './socket-tmpdir.js'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'

export const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url))

interface Teardown { teardown: (fn: () => unknown) => void }

/** A fresh directory per test, short enough for socket paths, removed afterwards. */
export function tempDir (t: Teardown): string {
  const dir = mkdtempSync(join(socketTmpdir(), 'lfy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** once(), bounded: a test that waits for an event that never comes fails instead of hanging. */
export async function until<T = unknown[]> (emitter: EventEmitter, event: string, what = event, ms = 10_000): Promise<T> {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  try {
    return await once(emitter, event, { signal: ac.signal }) as T
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once a stream has closed, at once if it already has; errors on the way are expected. */
export function whenClosed (stream: { closed: boolean, once: (e: 'close', fn: () => void) => unknown }): Promise<void> {
  if (stream.closed) return Promise.resolve()
  return new Promise((resolve) => { stream.once('close', resolve) })
}

/** A promise and the functions that settle it. */
export function deferred<T = void> (): { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

/** Reads NDJSON lines off a stream, in order. */
export class Lines {
  readonly all: string[] = []
  ended = false
  private buf = ''
  private read = 0
  private waiter: (() => void) | null = null

  constructor (stream: Readable) {
    stream.setEncoding('utf8')
    stream.on('data', (s: string) => {
      this.buf += s
      let nl: number
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        this.all.push(this.buf.slice(0, nl))
        this.buf = this.buf.slice(nl + 1)
      }
      this.wake()
    })
    stream.on('end', () => { this.ended = true; this.wake() })
    stream.on('close', () => { this.ended = true; this.wake() })
    stream.on('error', () => {})
  }

  /** The next line, parsed; rejects if the stream ends first or nothing comes in time. */
  async next (ms = 10_000): Promise<any> {
    await this.wait(() => this.all.length > this.read || this.ended, ms, 'a line')
    if (this.all.length === this.read) throw new Error(`stream ended after ${this.read} lines`)
    return JSON.parse(this.all[this.read++])
  }

  /** The first line, read or still to come, that parses to something `match` accepts. */
  async find (match: (msg: any) => boolean, ms = 10_000): Promise<any> {
    let found: any
    const scan = (): boolean => this.all.some((l) => {
      try {
        found = JSON.parse(l)
      } catch {
        return false
      }
      return match(found) === true
    })
    await this.wait(() => scan() || this.ended, ms, 'a matching line')
    if (!scan()) throw new Error(`stream ended without a matching line: ${this.all.join('\n')}`)
    return found
  }

  /** Resolves once the peer ended the stream, with the lines not yet taken. */
  async end (ms = 10_000): Promise<any[]> {
    await this.wait(() => this.ended, ms, 'the end of the stream')
    return this.all.slice(this.read).map((l) => JSON.parse(l))
  }

  private wait (ready: () => boolean, ms: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} after ${ms} ms (${this.all.length} lines)`)), ms)
      this.waiter = () => {
        if (!ready()) return
        clearTimeout(timer)
        this.waiter = null
        resolve()
      }
    })
  }

  private wake (): void {
    if (this.waiter !== null) this.waiter()
  }
}

export interface Client {
  socket: net.Socket
  lines: Lines
  send: (msg: unknown) => void
  call: (method: string, params?: unknown, id?: number) => Promise<any>
}

let ids = 0

/** A raw NDJSON client over a real socket. */
export async function connect (to: string | { host: string, port: number }, t?: Teardown): Promise<Client> {
  const socket = typeof to === 'string' ? net.connect(to) : net.connect(to.port, to.host)
  await until(socket, 'connect')
  if (t !== undefined) t.teardown(() => socket.destroy())
  const lines = new Lines(socket)
  const send = (msg: unknown): void => { socket.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n') }
  return {
    socket,
    lines,
    send,
    async call (method, params, id = ++ids) {
      send({ jsonrpc: '2.0', id, method, params })
      return await lines.next()
    }
  }
}

/** Resolves with the error a connect attempt gets (ECONNREFUSED, ENOENT ...), or null if it connects. */
export async function connectError (path: string): Promise<NodeJS.ErrnoException | null> {
  const socket = net.connect(path)
  return await new Promise((resolve) => {
    socket.once('connect', () => { socket.destroy(); resolve(null) })
    socket.once('error', resolve)
  })
}

export interface Child {
  child: ChildProcess
  stdout: Lines
  stderr: Lines
  exit: (ms?: number) => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

export interface FixtureOptions extends SpawnOptions {
  /** Exec node from a shell that sets LISTEN_PID to the pid node will have, as systemd does. */
  ownListenPid?: boolean
}

/** Runs a fixture script with node; killed at teardown if still running. */
export function runFixture (t: Teardown, script: string, args: string[] = [], options: FixtureOptions = {}): Child {
  const { ownListenPid, ...spawnOptions } = options
  const argv = [join(fixtures, script), ...args]
  const child = ownListenPid === true
    ? spawn('/bin/sh', ['-c', 'LISTEN_PID=$$ exec "$0" "$@"', process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions })
    : spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const exited = until<[number | null, NodeJS.Signals | null]>(child, 'exit', 'the child to exit', 60_000)
  exited.catch(() => {})
  return {
    child,
    stdout: new Lines(child.stdout as Readable),
    stderr: new Lines(child.stderr as Readable),
    async exit (ms = 10_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), ms)
      try {
        const [code, signal] = await exited
        return { code, signal }
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/** A pino destination that keeps every log line, for asserting on levels. */
export function logSink (): { stream: Writable, records: () => Array<Record<string, any>> } {
  const chunks: string[] = []
  const stream = { write (s: string) { chunks.push(s); return true } } as unknown as Writable
  return { stream, records: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) }
}
