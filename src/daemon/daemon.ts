import type { Readable, Writable } from 'node:stream'
import type { Logger } from 'pino'
import { linefy } from '../core/linefy.js'
import type { LinefyInstance } from '../core/instance.js'
import activation, { activationFds } from '../../plugins/activation.js'
import demo from '../../plugins/demo.js'
import http, { type HttpOptions } from '../../plugins/http.js'
import discover from '../../plugins/discover.js'
import lifecycle from '../../plugins/lifecycle.js'
import mcp from '../../plugins/mcp.js'
import stdio from '../../plugins/stdio.js'
import unix from '../../plugins/unix.js'

export { socketPath } from './socket-path.js'

/** package.json's version, for MCP's serverInfo (test/mcp-daemon.test.ts keeps them equal). */
export const VERSION = '0.1.0'

export interface DaemonOptions {
  /**
   * The socket to listen on (see socketPath() for the CLI's default); socket
   * activation takes its place when it applies. Without it and without
   * `stdio` the daemon listens nowhere: for inject() and app.serve().
   */
  socketPath?: string
  /** Add the demo methods: echo, sleep, fail, add. */
  demo?: boolean
  /** Serve MCP too (plugins/mcp.ts): the methods opted in (with `demo`, the demo methods) are its tools. */
  mcp?: boolean
  concurrency?: number
  maxLineBytes?: number
  /** Replies as pure ASCII JSON, as the Python server writes them (default true). */
  asciiOnly?: boolean
  /** A pino level name (default 'info'), or a ready logger. */
  logLevel?: string
  logger?: Logger
  /** Keep the control plane's state (pause, pending requests, sessions) in this JSON file. */
  stateFile?: string
  /** Serve stdin/stdout instead of a socket. */
  stdio?: boolean
  /** JSON-RPC over HTTP as well, beside the line socket (or stdio): `{ path }` or `{ port, host }`. */
  http?: HttpOptions
  /** The streams of `stdio` (default process.stdin and process.stdout). */
  input?: Readable
  output?: Writable
}

/** The reference daemon: the Python server's wire behaviour, composed from plugins only. */
export function buildDaemon (opts: DaemonOptions = {}): LinefyInstance {
  const app = linefy({
    compat: 'seed',
    logger: opts.logger ?? { level: opts.logLevel ?? 'info' },
    concurrency: opts.concurrency,
    maxLineBytes: opts.maxLineBytes,
    asciiOnly: opts.asciiOnly
  })
  app.register(lifecycle, { stateFile: opts.stateFile })
  app.register(discover, { info: { title: 'linefy reference daemon' } })
  if (opts.mcp === true) app.register(mcp, { name: 'linefy', version: VERSION, instructions: 'The tools of a linefy daemon; with --demo: echo, sleep, fail and add.' })
  if (opts.demo === true) app.register(demo)
  if (opts.stdio === true) {
    app.register(stdio, { input: opts.input, output: opts.output })
  } else if (opts.socketPath !== undefined) {
    // under systemd the manager bound the socket: never create, chmod or unlink the path
    if (activationFds(process.env, process.pid).length > 0) app.register(activation)
    else app.register(unix, { path: opts.socketPath })
  }
  if (opts.http !== undefined) app.register(http, opts.http)
  return app
}
