import type { Readable, Writable } from 'node:stream'
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
  const socket = await openSocket(path)
  const waiting = new Map<string, string | number>()
  let stdinEnded = false
  let midLine = false

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
    if (!socket.write(chunk)) stdin.pause()
  }
  const onInputEnd = (): void => {
    stdinEnded = true
    up.end()
    // half-close: the daemon answers what it has, then ends the connection
    socket.end()
  }
  socket.on('drain', () => stdin.resume())
  stdin.on('data', onInput)
  stdin.on('end', onInputEnd)

  socket.on('data', (chunk: Buffer) => {
    down.push(chunk)
    midLine = chunk[chunk.length - 1] !== 0x0a
    if (!stdout.write(chunk)) socket.pause()
  })
  stdout.on('drain', () => socket.resume())
  // the host closed our stdout: nobody is left to answer
  stdout.on('error', () => socket.destroy())
  socket.on('error', () => {})

  return new Promise((resolve) => {
    socket.on('close', () => {
      stdin.removeListener('data', onInput)
      stdin.removeListener('end', onInputEnd)
      stdin.pause()
      down.end()
      const lost = waiting.size
      let out = midLine ? '\n' : ''
      const message = new codes.LINEFY_ERR_TRANSPORT_LOST('the daemon closed the connection before replying').message
      for (const id of waiting.values()) out += errorLine(JSON.stringify(id), { code: RpcCode.TRANSPORT_LOST, message }) + '\n'
      if (out !== '' && stdout.writable) stdout.write(out)
      resolve({ clean: stdinEnded && lost === 0, lost })
    })
  })
}
