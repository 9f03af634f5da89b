import pino, { type Logger, type LoggerOptions } from 'pino'

export type LoggerOption = boolean | LoggerOptions | Logger | undefined

function isLogger (x: unknown): x is Logger {
  return x !== null && typeof x === 'object' &&
    typeof (x as Logger).child === 'function' && typeof (x as Logger).info === 'function'
}

const discard = { write () {} }

/**
 * Builds the instance logger. Logs go to stderr (fd 2), never stdout: a
 * daemon's stdout may be its JSON-RPC stream (stdio mode), and stderr is
 * what systemd and supervisors capture anyway.
 */
export function createLogger (opt: LoggerOption): Logger {
  if (isLogger(opt)) return opt
  if (opt === undefined || opt === false) return pino({ level: 'silent' }, discard)
  const options: LoggerOptions = opt === true ? {} : opt
  return pino(options, pino.destination({ dest: 2, sync: false }))
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
