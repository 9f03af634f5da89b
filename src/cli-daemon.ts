import type { Io } from './cli.js'
import { buildDaemon, type DaemonOptions } from './daemon.js'

/** `linefy daemon`: serve until SIGTERM or SIGINT (or stdin's end with --stdio), then close gracefully. */
export async function runDaemon (opts: DaemonOptions & { socketPath: string }, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const app = buildDaemon(opts)
  let stop: (why: string) => void = () => {}
  const stopped = new Promise<string>((resolve) => { stop = resolve })
  const onSignal = (signal: string): void => stop(signal)
  io.signals.on('SIGTERM', onSignal)
  io.signals.on('SIGINT', onSignal)
  app.addHook('onClose', () => stop('closed'))
  try {
    await app.listen(opts.stdio === true ? { stdio: true } : { path: opts.socketPath })
    const why = await stopped
    app.log.info({ why }, 'shutting down')
  } finally {
    io.signals.removeListener('SIGTERM', onSignal)
    io.signals.removeListener('SIGINT', onSignal)
    await app.close()
  }
  return 0
}
