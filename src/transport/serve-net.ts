import { createServer, type AddressInfo, type ListenOptions as NetListenOptions, type Server } from 'node:net'
import { codes, type LinefyError } from '../core/errors.js'
import type { LinefyInstance } from '../core/instance.js'
import { internal } from '../core/internal.js'
import { Phase, type State } from '../core/state.js'
import { kState } from '../core/symbols.js'
import { connectionCap, fdLimit } from './fd-limit.js'

export type Address = string | AddressInfo

/** How one net transport binds, and what it cleans up once its server has closed. */
export interface Binding {
  bind (server: Server): Promise<Address>
  release? (): Promise<void>
}

export function stateOf (app: LinefyInstance): State {
  return internal(app)[kState]
}

/**
 * Runs `start` once the app is ready: transports listen after every onReady
 * hook, so no client reaches a half-booted daemon. When the app is already
 * ready (listen() after ready()) it runs now.
 */
export function whenReady (app: LinefyInstance, start: () => Promise<void>): Promise<void> | undefined {
  const state = stateOf(app)
  if (state.phase === Phase.Ready) return start()
  state.transports.push(start)
}

/**
 * A transport over a net.Server: by default every accepted socket goes to
 * app.serve(), half-open so a client that shuts its write side still gets
 * its replies; a transport with a protocol of its own (HTTP) passes its own
 * server. close() stops accepting at once (stopAccepting); onClose waits for
 * the server to be gone, then releases what the binding holds.
 */
export function serveNet (
  app: LinefyInstance,
  binding: Binding,
  server: Server = createServer({ allowHalfOpen: true }, (socket) => { app.serve(socket) })
): Promise<void> | undefined {
  const state = stateOf(app)
  // refusals come in bursts (a flood of connects while descriptors run out):
  // the log gets one line when a burst starts and one when accepting resumes
  let refused = 0
  server.on('connection', () => {
    if (refused === 0) return
    state.log.info({ address, refused }, 'accepting connections again')
    refused = 0
  })
  const refuse = (why: string, cause?: Error): void => {
    if (refused++ !== 0) return
    const err = new codes.LINEFY_ERR_ACCEPT(address, why)
    if (cause !== undefined) err.cause = cause
    state.log.error({ err, address }, 'refusing connections')
  }
  const limit = fdLimit()
  const cap = connectionCap(limit)
  if (cap !== null) server.maxConnections = cap
  let address: Address | null = null
  let closed: Promise<unknown> | null = null
  app.addHook('onClose', async () => {
    if (closed === null) return
    await closed
    state.addresses.splice(state.addresses.indexOf(address as Address), 1)
    if (binding.release !== undefined) await binding.release()
  })
  return whenReady(app, async () => {
    address = await binding.bind(server)
    // not events.once(): it would reject on the first 'error'
    closed = new Promise((resolve) => server.once('close', resolve))
    // accept() failures (EMFILE and the like) must not crash the daemon
    server.on('error', (err) => refuse(err.message, err))
    server.on('drop', () => refuse(`${cap} connections open, all that a limit of ${limit} open files leaves room for`))
    state.addresses.push(address)
    state.servers.add(server)
  })
}

/** close() began: every listening server stops accepting at once, so a new connect is refused. */
export function stopAccepting (state: State): void {
  for (const server of state.servers) server.close()
  state.servers.clear()
}

/** server.listen(), settled: resolves once listening, rejects with a LINEFY_ERR_* error. */
export function listenOn (server: Server, target: NetListenOptions | { fd: number }, label: string, hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening)
      reject(bindError(err, label, hint))
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(target)
  })
}

export function bindError (err: NodeJS.ErrnoException, label: string, hint: string): LinefyError {
  const e = err.code === 'EADDRINUSE'
    ? new codes.LINEFY_ERR_ADDR_IN_USE(label)
    : new codes.LINEFY_ERR_LISTEN(label, `${err.message}: ${hint}`)
  e.cause = err
  return e
}
