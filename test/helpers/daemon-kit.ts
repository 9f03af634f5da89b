import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { socketTmpdir } from './socket-tmpdir.js'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { LinefyInstance } from '../../index.js'

/** A fresh, short temp dir (unix socket paths must stay under ~100 bytes), removed at teardown. */
export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(socketTmpdir(), 'lf-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A socket path inside a fresh temp dir. */
export function tempSocket (t: Test, name = 'd.sock'): string {
  return join(tempDir(t), name)
}

function listening (server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
}

/** Serves `app` on a real unix socket at `path` through the unix transport; closed at teardown. */
export async function serveOn (t: Test, app: LinefyInstance, path: string): Promise<void> {
  t.teardown(() => app.close())
  await app.listen({ path })
}

/** A hand-written peer on `path`: `onConnection` gets each raw socket. */
export async function rawServer (t: Test, path: string, onConnection: (s: Socket) => void): Promise<Server> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    onConnection(s)
  })
  await listening(server, path)
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return server
}

/** Resolves with the first complete line `s` receives. */
export function firstLine (s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let buf = ''
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString()
      const nl = buf.indexOf('\n')
      if (nl === -1) return
      s.removeListener('data', onData)
      resolve(buf.slice(0, nl))
    }
    s.on('data', onData)
  })
}

/** Collects lines from a stream and lets the test wait for the n-th one. */
export class LineLog {
  readonly lines: string[] = []
  private buf = ''
  private waiters: Array<{ n: number, resolve: () => void }> = []

  push (chunk: Buffer | string): void {
    this.buf += chunk.toString()
    let nl = this.buf.indexOf('\n')
    while (nl !== -1) {
      this.lines.push(this.buf.slice(0, nl))
      this.buf = this.buf.slice(nl + 1)
      nl = this.buf.indexOf('\n')
    }
    this.waiters = this.waiters.filter((w) => {
      if (this.lines.length < w.n) return true
      w.resolve()
      return false
    })
  }

  /** Resolves once `n` lines have arrived. */
  count (n: number): Promise<string[]> {
    if (this.lines.length >= n) return Promise.resolve(this.lines)
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve(this.lines) }))
  }

  /** Resolves with the first line matching `re`, already arrived or still to come. */
  async match (re: RegExp): Promise<string> {
    for (let n = 1; ; n++) {
      await this.count(n)
      const line = this.lines[n - 1] as string
      if (re.test(line)) return line
    }
  }
}
