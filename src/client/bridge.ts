import type { Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { codes, RpcCode } from '../core/errors.js'
import { errorLine } from '../request/reply.js'
import { ndjsonFraming } from '../../plugins/ndjson.js'
import { openSocket } from './client.js'
import { lineReader } from './lines.js'

export interface BridgeOptions {
  /**
   * Lines are read only to track ids, and are relayed untouched whatever
   * their size; past this (default 64 MiB) a line is not read. A request
   * line that long the daemon refuses anyway; a reply that long leaves its
   * id waiting, so it is answered -32002 too if the daemon goes away.
   */
  maxLineBytes?: number
  /**
   * How long to keep retrying the connect while no daemon accepts it, in ms
   * (default 5000, the iai-mcp wrapper's connect timeout; 0: one attempt).
   * A socket-activated or restarting daemon is given that long to come up.
   */
  wait?: number
  /** Called once, with the wait, when the first attempt fails and the bridge starts waiting. */
  onWait?: (wait: number) => void
}

// what stdin may send while the daemon is not there yet, before stdin is paused
const HOLD_MAX = 1024 * 1024

function notThere (err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  // EAGAIN: a listener whose backlog is full, a stopped or overloaded daemon
  return code === 'LINEFY_ERR_NOT_RUNNING' || code === 'EAGAIN'
}

async function connectWithin (path: string, wait: number, onWait: ((wait: number) => void) | undefined): Promise<Socket> {
  const deadline = Date.now() + wait
  let pause = 25
  let waited = false
  let socket: Socket | null = null
  while (socket === null) {
    try {
      socket = await openSocket(path)
    } catch (err) {
      const left = deadline - Date.now()
      if (!notThere(err) || left <= 0) throw err
      if (!waited) {
        waited = true
        onWait?.(wait)
      }
      await delay(Math.min(pause, left))
      pause = Math.min(pause * 2, 250)
    }
  }
  return socket
}

export interface BridgeResult {
  /** True when stdin ended and the daemon answered everything before closing. */
  clean: boolean
  /** Requests answered -32002 because the daemon went away first. */
  lost: number
}

function parse (line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}

// an over-long line is still relayed: only its id goes unread
function untracked (): void {}

function each (msg: unknown, fn: (m: { jsonrpc?: unknown, id?: unknown, method?: unknown }) => void): void {
  for (const m of Array.isArray(msg) ? msg : [msg]) if (m !== null && typeof m === 'object') fn(m)
}

/**
 * Relays stdin to the daemon's socket and the socket to stdout, for hosts
 * that only speak stdio. Bytes pass through untouched (the daemon judges
 * them); a copy of each line is read only to know which request ids are
 * still waiting, so that if the daemon goes away each of them still gets an
 * answer (-32002) instead of hanging the host.
 */
export async function bridge (path: string, stdin: Readable, stdout: Writable, opts: BridgeOptions = {}): Promise<BridgeResult> {
  const max = opts.maxLineBytes ?? 64 * 1024 * 1024
  const wait = opts.wait ?? 5000
  const waiting = new Map<string, string | number>()
  let stdinEnded = false
  let midLine = false
  let socket: Socket | null = null
  // what stdin sends before the daemon accepts, relayed once it does
  const held: Buffer[] = []
  let heldBytes = 0

  const up = lineReader(ndjsonFraming, max, {
    line: (line) => each(parse(line), (m) => {
      if (m.jsonrpc === '2.0' && typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number')) {
        waiting.set(JSON.stringify(m.id), m.id)
      }
    }),
    broken: untracked
  })
  const down = lineReader(ndjsonFraming, max, {
    line: (line) => each(parse(line), (m) => {
      if (m.method === undefined) waiting.delete(JSON.stringify(m.id))
    }),
    broken: untracked
  })

  const onInput = (chunk: Buffer): void => {
    up.push(chunk)
    if (socket === null) {
      held.push(chunk)
      heldBytes += chunk.length
      if (heldBytes >= HOLD_MAX) stdin.pause()
    } else if (!socket.write(chunk)) {
      stdin.pause()
    }
  }
  const onInputEnd = (): void => {
    stdinEnded = true
    up.end()
    // half-close: the daemon answers what it has, then ends the connection
    socket?.end()
  }
  stdin.on('data', onInput)
  stdin.on('end', onInputEnd)
  const stopInput = (): void => {
    stdin.removeListener('data', onInput)
    stdin.removeListener('end', onInputEnd)
    stdin.pause()
  }
  // every request still waiting gets its answer, so the host never hangs on one
  const lost = (why: string): string => {
    const message = new codes.LINEFY_ERR_TRANSPORT_LOST(why).message
    let out = ''
    for (const id of waiting.values()) out += errorLine(JSON.stringify(id), { code: RpcCode.TRANSPORT_LOST, message }) + '\n'
    return out
  }

  try {
    socket = await connectWithin(path, wait, opts.onWait)
  } catch (err) {
    stopInput()
    const out = lost(`no daemon is listening on ${path}`)
    if (out !== '') stdout.write(out)
    throw notThere(err) && wait > 0 ? new codes.LINEFY_ERR_NOT_RUNNING(`${path} (waited ${wait} ms)`) : err
  }
  const sock = socket
  sock.on('drain', () => stdin.resume())
  if (held.length > 0 && !sock.write(Buffer.concat(held, heldBytes))) stdin.pause()
  else stdin.resume()
  held.length = 0
  if (stdinEnded) sock.end()

  sock.on('data', (chunk: Buffer) => {
    down.push(chunk)
    midLine = chunk[chunk.length - 1] !== 0x0a
    if (!stdout.write(chunk)) sock.pause()
  })
  stdout.on('drain', () => sock.resume())
  // the host closed our stdout: nobody is left to answer
  stdout.on('error', () => sock.destroy())
  sock.on('error', () => {})

  return new Promise((resolve) => {
    sock.on('close', () => {
      stopInput()
      down.end()
      const count = waiting.size
      const out = (midLine ? '\n' : '') + lost('the daemon closed the connection before replying')
      if (out !== '' && stdout.writable) stdout.write(out)
      resolve({ clean: stdinEnded && count === 0, lost: count })
    })
  })
}
