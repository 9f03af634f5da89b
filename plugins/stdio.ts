import { Duplex, type Readable, type Writable } from 'node:stream'
import pino, { type Logger } from 'pino'
import { codes } from '../src/core/errors.js'
import { plugin } from '../src/core/encapsulation.js'
import { stateOf, whenReady } from '../src/transport/serve-net.js'

export interface StdioOptions {
  /** Default process.stdin. */
  input?: Readable
  /** Default process.stdout. */
  output?: Writable
}

/**
 * stdin and stdout as the one duplex stream app.serve() takes. Reading
 * pauses the input when the connection pauses; a write completes only once
 * the output took it, so backpressure reaches the connection. stdout itself
 * is never ended: it is the process's, and ending it breaks later writes.
 */
class StdioStream extends Duplex {
  private readonly input: Readable
  private readonly output: Writable

  constructor (input: Readable, output: Writable) {
    // the connection writes strings: they go to the output as they are, not copied into a Buffer first
    super({ decodeStrings: false })
    this.input = input
    this.output = output
    input.on('data', this.onData)
    input.on('end', this.onEnd)
    input.on('error', this.onError)
    output.on('error', this.onError)
  }

  override _read (): void {
    this.input.resume()
  }

  override _write (chunk: Buffer | string, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.output.write(chunk, encoding, cb)
  }

  override _final (cb: () => void): void {
    if (this.output !== process.stdout) this.output.end()
    cb()
  }

  override _destroy (err: Error | null, cb: (err: Error | null) => void): void {
    const input = this.input
    input.off('data', this.onData)
    input.off('end', this.onEnd)
    // a paused stdin holds no handle open: the process can exit
    input.pause()
    // keep a listener: a late EPIPE on a stream we no longer use must not crash the process
    input.off('error', this.onError).on('error', ignore)
    this.output.off('error', this.onError).on('error', ignore)
    cb(err)
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.input.pause()
  }

  private readonly onEnd = (): void => {
    this.push(null)
  }

  private readonly onError = (err: Error): void => {
    this.destroy(err)
  }
}

function ignore (): void {}

function writesToStdout (log: Logger): boolean {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { fd?: unknown } | undefined
  return stream === process.stdout || stream?.fd === 1
}

/**
 * One connection over stdin/stdout, for daemons spawned by their client
 * (MCP servers, editor helpers). stdout carries nothing but replies: logs
 * go to stderr. When stdin ends, the replies still owed are written, then
 * the app closes and the process can exit by itself.
 */
export default plugin<StdioOptions>(async function stdioTransport (app, opts) {
  const input = opts.input ?? process.stdin
  const output = opts.output ?? process.stdout
  if (output === process.stdout && writesToStdout(app.log)) throw new codes.LINEFY_ERR_STDOUT_LOGGER()
  await whenReady(app, async () => {
    const stream = new StdioStream(input, output)
    const addresses = stateOf(app).addresses
    app.serve(stream)
    addresses.push('stdio')
    stream.once('close', () => {
      addresses.splice(addresses.indexOf('stdio'), 1)
      app.close().catch((err) => app.log.error({ err }, 'closing after stdin ended failed'))
    })
  })
}, { name: 'linefy-stdio' })
