import net from 'node:net'
import { once } from 'node:events'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { socketTmpdir } from './socket-tmpdir.js'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../..', import.meta.url))

/** A raw NDJSON client: what a test needs to see exactly what the daemon wrote. */
export class LineClient {
  readonly socket: net.Socket
  readonly replies: Array<Record<string, unknown>> = []
  private buf = ''
  private waiters: Array<{ ready: () => boolean, resolve: () => void }> = []
  closed: Promise<void>

  constructor (socket: net.Socket) {
    this.socket = socket
    socket.setEncoding('utf8')
    socket.on('data', (s: string) => {
      this.buf += s
      let nl = this.buf.indexOf('\n')
      while (nl !== -1) {
        this.replies.push(JSON.parse(this.buf.slice(0, nl)))
        this.buf = this.buf.slice(nl + 1)
        nl = this.buf.indexOf('\n')
      }
      this.waiters = this.waiters.filter((w) => {
        if (!w.ready()) return true
        w.resolve()
        return false
      })
    })
    socket.on('error', () => {})
    // not events.once: it rejects on 'error', and a reset is an ordinary way to close
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
  }

  static async connect (path: string): Promise<LineClient> {
    const socket = net.connect(path)
    await once(socket, 'connect')
    return new LineClient(socket)
  }

  send (msg: unknown): void {
    this.socket.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n')
  }

  /** Resolves once `count` replies in total have arrived; rejects if the socket closes first. */
  async waitFor (count: number, timeoutMs = 30_000): Promise<Array<Record<string, unknown>>> {
    await this.until(() => this.replies.length >= count, `${count} replies`, timeoutMs)
    return this.replies
  }

  /** Resolves with the reply carrying `id`. */
  async waitForId (id: unknown, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const find = () => this.replies.find((r) => r.id === id)
    await this.until(() => find() !== undefined, `the reply to id ${String(id)}`, timeoutMs)
    return find() as Record<string, unknown>
  }

  private until (ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} after ${timeoutMs} ms (${this.replies.length} replies)`)), timeoutMs)
      this.closed.then(() => {
        clearTimeout(timer)
        if (ready()) resolve()
        else reject(new Error(`socket closed before ${what} (${this.replies.length} replies)`))
      })
      this.waiters.push({ ready, resolve: () => { clearTimeout(timer); resolve() } })
    })
  }

  async call (msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    const n = this.replies.length + 1
    this.send(msg)
    await this.waitFor(n)
    return this.replies[n - 1]
  }

  close (): void {
    this.socket.destroy()
  }
}

export function tempDir (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(socketTmpdir(), 'lfy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts a fixture daemon and resolves once it prints its first stdout line. */
export async function startFixture (
  t: { teardown: (fn: () => void) => void },
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = []
): Promise<{ child: ChildProcess, stdout: () => string }> {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'fixtures', script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout?.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code} before it was ready`)))
    child.stdout?.on('data', (s: string) => {
      out += s
      if (out.includes('\n')) resolve()
    })
  })
  return { child, stdout: () => out }
}
