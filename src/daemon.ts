import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { linefy } from './linefy.js'
import type { LinefyInstance } from './instance.js'
import demo from '../plugins/demo.js'
import lifecycle from '../plugins/lifecycle.js'

export interface DaemonOptions {
  /** Where to listen; see socketPath() for the default. Ignored with `stdio`. */
  socketPath?: string
  /** Add the demo methods: echo, sleep, fail, add. */
  demo?: boolean
  concurrency?: number
  maxLineBytes?: number
  /** A pino level name (default 'info'), or a ready logger. */
  logLevel?: string
  logger?: Logger
  /** Serve stdin/stdout instead of a socket. */
  stdio?: boolean
}

/**
 * The socket path the Python daemon used, so existing clients find us:
 * --socket, else IAI_DAEMON_SOCKET_PATH, else ~/.iai-mcp/.daemon.sock.
 */
export function socketPath (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return flag
  const fromEnv = env.IAI_DAEMON_SOCKET_PATH
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  return join(homedir(), '.iai-mcp', '.daemon.sock')
}

/** The reference daemon: the Python server's wire behaviour, composed from plugins only. */
export function buildDaemon (opts: DaemonOptions = {}): LinefyInstance {
  const app = linefy({
    compat: 'seed',
    logger: opts.logger ?? { level: opts.logLevel ?? 'info' },
    concurrency: opts.concurrency,
    maxLineBytes: opts.maxLineBytes
  })
  app.register(lifecycle)
  if (opts.demo === true) app.register(demo)
  return app
}
