import { streamLogger } from '../core/logger.js'
import { buildDaemon, type DaemonOptions } from '../daemon/daemon.js'
import type { Io } from './io.js'

/** `linefy daemon`: serve until SIGTERM or SIGINT (or stdin's end with --stdio), then close gracefully. */
export async function runDaemon (opts: DaemonOptions & { socketPath: string }, io: Io): Promise<number> {
  // every line the CLI writes goes through io, so tests in-process see the logs too
  const app = buildDaemon({ ...opts, input: io.stdin, output: io.stdout, logger: streamLogger({ level: opts.logLevel ?? 'info' }, io.stderr) })
  let stop!: (why: string) => void
  const stopped = new Promise<string>((resolve) => { stop = resolve })
  const onSignal = (signal: string): void => stop(signal)
  io.signals.on('SIGTERM', onSignal)
  io.signals.on('SIGINT', onSignal)
  app.addHook('onClose', () => stop('closed'))
  try {
    await app.ready()
    app.log.info({ addresses: app.addresses() }, 'listening')
    const why = await stopped
    // with --stdio, stdin's end has closed the app already
    if (why !== 'closed') app.log.info({ signal: why }, 'shutting down')
  } finally {
    io.signals.removeListener('SIGTERM', onSignal)
    io.signals.removeListener('SIGINT', onSignal)
    await app.close()
  }
  return 0
}
