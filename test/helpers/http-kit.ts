import { spawn, spawnSync } from 'node:child_process'
import { request, type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import net from 'node:net'

/** Where an HTTP listener is: a socket file or a TCP port. */
export type Target = { socketPath: string } | { host: string, port: number }

export interface HttpReply {
  status: number
  headers: IncomingHttpHeaders
  body: string
  json: () => any
}

export interface SendOptions {
  method?: string
  path?: string
  headers?: OutgoingHttpHeaders
  agent?: Agent
}

/** The TCP target of an `http://host:port` address from app.addresses(). */
export function tcpTarget (address: string): { host: string, port: number } {
  const url = new URL(address)
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) }
}

/** One request with node:http (a fresh connection unless an agent is given); `body` undefined sends none. */
export function send (to: Target, body?: string | object, opts: SendOptions = {}): Promise<HttpReply> {
  const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body)
  const headers: OutgoingHttpHeaders = payload === undefined ? {} : { 'content-type': 'application/json' }
  return new Promise((resolve, reject) => {
    const req = request({ ...to, method: opts.method ?? 'POST', path: opts.path ?? '/', headers: { ...headers, ...opts.headers }, agent: opts.agent ?? false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (s: string) => { text += s })
      res.on('end', () => resolve({ status: res.statusCode as number, headers: res.headers, body: text, json: () => JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

export const rpcLine = (id: number | undefined, method: string, params?: unknown): string =>
  JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method, ...(params === undefined ? {} : { params }) })

/** A raw POST of a JSON body as bytes on the wire, for pipelining and hand-made requests. */
export function rawPost (body: string, headers = ''): string {
  return `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** A raw client socket that parses the HTTP responses it receives, in order. */
export class RawHttp {
  readonly socket: net.Socket
  readonly responses: RawResponse[] = []
  readonly closed: Promise<void>
  private buf = Buffer.alloc(0)
  private waiters: Array<() => void> = []
  private ended = false

  private constructor (socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk])
      this.parse()
      this.wake()
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.ended = true
      this.wake()
      resolve()
    }))
  }

  static async open (to: Target): Promise<RawHttp> {
    const socket = 'socketPath' in to ? net.connect(to.socketPath) : net.connect(to.port, to.host)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawHttp(socket)
  }

  write (s: string): void {
    this.socket.write(s)
  }

  /** Resolves once `n` responses in all have arrived; rejects if the socket closes first or time runs out. */
  async count (n: number, ms = 10_000): Promise<RawResponse[]> {
    await this.wait(() => this.responses.length >= n, ms, `${n} responses`)
    return this.responses
  }

  async next (ms = 10_000): Promise<RawResponse> {
    const n = this.responses.length + 1
    await this.count(n, ms)
    return this.responses[n - 1] as RawResponse
  }

  private wait (ready: () => boolean, ms: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} after ${ms} ms (${this.responses.length} responses)`)), ms)
      const check = (): void => {
        if (ready()) {
          clearTimeout(timer)
          resolve()
        } else if (this.ended) {
          clearTimeout(timer)
          reject(new Error(`socket closed before ${what} (${this.responses.length} responses)`))
        } else {
          this.waiters.push(check)
        }
      }
      this.waiters.push(check)
    })
  }

  private wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  private parse (): void {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n')
      if (end === -1) return
      const [statusLine, ...lines] = this.buf.subarray(0, end).toString('latin1').split('\r\n')
      const headers: Record<string, string> = {}
      for (const l of lines) {
        const i = l.indexOf(':')
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim()
      }
      const status = Number((statusLine as string).split(' ')[1])
      const length = Number(headers['content-length'] ?? 0)
      if (this.buf.length < end + 4 + length) return
      const body = this.buf.subarray(end + 4, end + 4 + length).toString()
      this.buf = this.buf.subarray(end + 4 + length)
      // an interim 100 Continue is not the answer
      if (status !== 100) this.responses.push({ status, headers, body })
    }
  }
}

export const hasCurl = spawnSync('curl', ['--version']).status === 0

/** Runs the real curl; resolves with its exit code and output. */
export function curl (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['--silent', '--show-error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
