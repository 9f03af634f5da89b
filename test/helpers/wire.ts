import net, { type Server, type Socket } from 'node:net'
import { Duplex, PassThrough, type Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import type { LinefyInstance } from '../../index.js'
import { waitFor, type Teardown } from './util.js'

/**
 * The tests' one line reader: it reads a Readable, or whatever is `push`ed to
 * it, and lets the test wait for lines. It is written apart from linefy's own
 * framing (src/lines.ts, plugins/ndjson.ts) so that it cannot share their bugs.
 * Every wait is bounded, so a line that never comes fails the test instead of
 * hanging it, and rejects at once if the stream ends first.
 */
export class Lines {
  /** Every complete line so far, without its newline. */
  readonly all: string[] = []
  /** The stream ended or closed: no more lines will come. */
  ended = false
  private rest = ''
  private taken = 0
  private readonly decoder = new StringDecoder('utf8')
  private readonly waiters = new Set<() => boolean>()

  constructor (stream?: Readable) {
    if (stream === undefined) return
    stream.setEncoding('utf8')
    stream.on('data', (s: string) => this.push(s))
    stream.on('end', () => this.finish())
    stream.on('close', () => this.finish())
    stream.on('error', () => {})
  }

  /** No more lines will come: waits for more fail at once. */
  finish (): void {
    this.ended = true
    this.wake()
  }

  push (chunk: Buffer | string): void {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.all.push(text.slice(start, nl))
      start = nl + 1
    }
    this.rest = text.slice(start)
    this.wake()
  }

  /** Everything read so far, exactly as it came, an unfinished last line included. */
  get text (): string {
    return this.all.map((l) => l + '\n').join('') + this.rest
  }

  /** Every line so far, parsed. */
  parsed (): any[] {
    return this.all.map((l) => JSON.parse(l))
  }

  /** The next line not yet taken, as it came. */
  async nextLine (ms = 10_000): Promise<string> {
    await this.wait(() => this.all.length > this.taken, 'a line', ms)
    return this.all[this.taken++] as string
  }

  /** The next line not yet taken, parsed. */
  async next (ms = 10_000): Promise<any> {
    return JSON.parse(await this.nextLine(ms))
  }

  /** Resolves with every line so far once there are at least `n`. */
  async count (n: number, ms = 10_000): Promise<string[]> {
    await this.wait(() => this.all.length >= n, `${n} lines`, ms)
    return this.all
  }

  /** The first line, read or still to come, that `re` matches. */
  async match (re: RegExp, ms = 10_000): Promise<string> {
    return await this.first((l) => re.test(l) ? { value: l } : undefined, `a line matching ${re}`, ms)
  }

  /** The first line, read or still to come, that parses to something `match` accepts. */
  async find (match: (msg: any) => boolean, ms = 10_000): Promise<any> {
    return await this.first((l) => {
      let msg: unknown
      try {
        msg = JSON.parse(l)
      } catch {
        return undefined
      }
      return match(msg) === true ? { value: msg } : undefined
    }, 'a matching line', ms)
  }

  /** Resolves with everything read so far once `done` holds for it. */
  async output (done: (text: string) => boolean, ms = 10_000): Promise<string> {
    await this.wait(() => done(this.text), 'the output expected', ms)
    return this.text
  }

  /** Resolves once the stream has ended, with the lines not yet taken, parsed. */
  async end (ms = 10_000): Promise<any[]> {
    await this.wait(() => this.ended, 'the end of the stream', ms)
    return this.all.slice(this.taken).map((l) => JSON.parse(l))
  }

  private async first<T> (pick: (line: string) => { value: T } | undefined, what: string, ms: number): Promise<T> {
    let scanned = 0
    let found: { value: T } | undefined
    await this.wait(() => {
      while (found === undefined && scanned < this.all.length) found = pick(this.all[scanned++] as string)
      return found !== undefined
    }, what, ms)
    return (found as { value: T }).value
  }

  private wait (ready: () => boolean, what: string, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const settled = (): boolean => {
        if (ready()) resolve()
        else if (this.ended) reject(new Error(`the stream ended before ${what}${this.tail()}`))
        else return false
        return true
      }
      if (settled()) return
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`no ${what} after ${ms} ms${this.tail()}`))
      }, ms)
      const waiter = (): boolean => {
        if (!settled()) return false
        clearTimeout(timer)
        return true
      }
      this.waiters.add(waiter)
    })
  }

  private wake (): void {
    for (const waiter of this.waiters) if (waiter()) this.waiters.delete(waiter)
  }

  /** The last few lines, for an error message. */
  private tail (): string {
    const last = this.all.slice(-5).map((l) => l.length > 200 ? l.slice(0, 200) + '...' : l)
    return ` (${this.all.length} lines${last.length > 0 ? ', ending:\n' + last.join('\n') : ''})`
  }
}

export interface Client {
  socket: Socket
  lines: Lines
  /** Writes one message as a line: a string as it is, anything else as JSON. */
  send: (msg: unknown) => void
  /** Sends one message and resolves with the next line, parsed. */
  request: (msg: unknown, ms?: number) => Promise<any>
  /** Sends a JSON-RPC request and resolves with the whole reply, parsed. */
  call: (method: string, params?: unknown, id?: number) => Promise<any>
}

let ids = 0

/** A raw NDJSON client over a real socket (a unix path or TCP host and port); destroyed at teardown if `t` is given. */
export async function connect (to: string | { host: string, port: number }, t?: Teardown): Promise<Client> {
  const socket = typeof to === 'string' ? net.connect(to) : net.connect(to.port, to.host)
  await waitFor(socket, 'connect')
  if (t !== undefined) t.teardown(() => socket.destroy())
  const lines = new Lines(socket)
  const send = (msg: unknown): void => { socket.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n') }
  const request = async (msg: unknown, ms?: number): Promise<any> => {
    send(msg)
    return await lines.next(ms)
  }
  return {
    socket,
    lines,
    send,
    request,
    call: async (method, params, id = ++ids) => await request({ jsonrpc: '2.0', id, method, params })
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

/** Serves `app` on a real unix socket at `path` through the unix transport; closed at teardown. */
export async function serveOn (t: Teardown, app: LinefyInstance, path: string): Promise<void> {
  t.teardown(() => app.close())
  await app.listen({ path })
}

/** A hand-written peer listening on `path`: `onConnection` gets each raw socket; all closed at teardown. */
export async function rawServer (t: Teardown, path: string, onConnection: (s: Socket) => void): Promise<Server> {
  const sockets = new Set<Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    onConnection(s)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return server
}

/**
 * An in-memory socket: `server` goes to app.serve(), the test writes what the
 * client sends with `send` and reads what the server wrote from `lines`.
 */
export interface SocketPair {
  server: Duplex
  send: (s: string | Buffer) => void
  end: () => void
  /** What the server wrote. */
  lines: Lines
  /** Resolves once the server has ended its side. */
  ended: Promise<void>
}

export function socketPair (): SocketPair {
  const toServer = new PassThrough()
  const toClient = new PassThrough()
  const lines = new Lines(toClient)
  return {
    server: Duplex.from({ readable: toServer, writable: toClient }),
    send: (s) => toServer.write(s),
    end: () => toServer.end(),
    lines,
    ended: new Promise<void>((resolve) => toClient.once('end', resolve))
  }
}

/**
 * A stream for app.serve() read exactly as the test pushes it: each `push`
 * is one read of its own (socketPair's PassThrough may join writes), and
 * `push(null)` is the client's half-close. Its writes go to `lines`; with
 * `slowReader` each write is taken only on the next turn of the event loop,
 * and past `highWaterMark` buffered bytes write() returns false, as a socket
 * whose client reads slowly does.
 */
export interface ChunkStream {
  server: Duplex
  push: (chunk: string | null) => void
  lines: Lines
}

export function chunkStream (opts: { highWaterMark?: number, slowReader?: boolean } = {}): ChunkStream {
  const lines = new Lines()
  const server = new Duplex({
    writableHighWaterMark: opts.highWaterMark ?? 16 * 1024,
    read () {},
    write (chunk: Buffer, _enc, cb) {
      lines.push(chunk)
      if (opts.slowReader === true) setImmediate(cb)
      else cb()
    },
    final (cb) {
      lines.finish()
      cb()
    }
  })
  return { server, push: (chunk) => { server.push(chunk) }, lines }
}
