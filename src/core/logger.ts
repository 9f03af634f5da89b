import { EventEmitter } from 'node:events'
import type { Writable } from 'node:stream'
import pino, { type Logger, type LoggerOptions } from 'pino'

export type LoggerOption = boolean | LoggerOptions | Logger | undefined

function isLogger (x: unknown): x is Logger {
  return x !== null && typeof x === 'object' &&
    typeof (x as Logger).child === 'function' && typeof (x as Logger).info === 'function'
}

const discard = { write () {} }

/**
 * What a reader of the logs that stops reading (a journal restarting, a
 * supervisor stuck) may cost the daemon in memory; past it, lines are
 * dropped until the reader catches up.
 */
export const LOG_BUFFER_BYTES = 1024 * 1024

const DROPPED = 'log lines dropped: the reader of the log stopped reading'

/** Counts the lines `dest` drops and, once its reader has caught up, says in the log how many. */
function reportDrops (log: Logger, dest: EventEmitter): Logger {
  let dropped = 0
  dest.on('drop', () => { dropped++ })
  dest.on('drain', () => {
    if (dropped === 0) return
    const lines = dropped
    dropped = 0
    log.warn({ dropped: lines }, DROPPED)
  })
  return log
}

/**
 * Log lines onto a stream the daemon does not own, such as the CLI's
 * stderr: a reader that stalls costs at most LOG_BUFFER_BYTES, and one that
 * goes away (EPIPE) ends logging there. Without a listener, that 'error'
 * would crash the daemon on its next log line.
 */
class StreamDestination extends EventEmitter {
  private readonly stream: Writable
  private broken = false

  constructor (stream: Writable) {
    super()
    this.stream = stream
    stream.on('error', () => { this.broken = true })
    stream.on('drain', () => this.emit('drain'))
  }

  write (line: string): void {
    if (this.broken) return
    if (this.stream.writableLength < LOG_BUFFER_BYTES) this.stream.write(line)
    else this.emit('drop', line)
  }
}

/**
 * Builds the instance logger. Logs go to stderr (fd 2), never stdout: a
 * daemon's stdout may be its JSON-RPC stream (stdio mode), and stderr is
 * what systemd and supervisors capture anyway.
 */
export function createLogger (opt: LoggerOption): Logger {
  if (isLogger(opt)) return opt
  if (opt === undefined || opt === false) return pino({ level: 'silent' }, discard)
  const options: LoggerOptions = opt === true ? {} : opt
  // pino's own destination already stops quietly at EPIPE (the reader is gone)
  const dest = pino.destination({ dest: 2, sync: false, maxLength: LOG_BUFFER_BYTES })
  return reportDrops(pino(options, dest), dest)
}

/** A logger on a stream the daemon does not own: bounded while its reader stalls, quiet once it is gone. */
export function streamLogger (options: LoggerOptions, stream: Writable): Logger {
  const dest = new StreamDestination(stream)
  return reportDrops(pino(options, dest), dest)
}

export function flushLogger (log: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      log.flush(() => resolve())
    } catch {
      resolve()
    }
  })
}
