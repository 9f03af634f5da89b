import { PassThrough } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import linefy, { stdio } from '../index.js'
import { captureLogger, deferred, waitFor } from './helpers/util.js'
import { runFixture } from './helpers/process.js'
import { Lines } from './helpers/wire.js'

const daemonArgs = [JSON.stringify({ stdio: true }), JSON.stringify({ logger: { level: 'debug' } })]

t.test('a child daemon on stdio: stdout carries only replies; stdin EOF exits 0 after the replies', async (t) => {
  const daemon = runFixture(t, 'transport-daemon.mjs', daemonArgs)
  const stdin = daemon.proc.stdin as NodeJS.WritableStream
  stdin.write('{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":50}}\n')
  await daemon.stderr.find((m) => m.started === 1)
  stdin.write('not json\n{"jsonrpc":"2.0","id":2,"method":"log","params":["hi"]}\n{"jsonrpc":"2.0","method":"echo","params":["a notification"]}\n')
  stdin.end()
  t.same(await daemon.stdout.end(), [
    { jsonrpc: '2.0', id: 1, result: { slept: 50 } },
    { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: Unexpected token \'o\', "not json" is not valid JSON' } },
    { jsonrpc: '2.0', id: 2, result: true }
  ], 'every stdout line is a reply, in order, the slow one included')
  t.same(await daemon.exit(), { code: 0, signal: null }, 'the process ends by itself: no handle left open')
  t.ok(await daemon.stderr.find((m) => m.onClose === true), 'the app closed')
  t.match(await daemon.stderr.find((m) => m.msg === 'said'), { level: 30, said: 'hi', reqId: 2 }, 'logs were written, to stderr')
})

t.test('SIGTERM with stdin still open: in-flight replies are written, then the process exits 0', async (t) => {
  const daemon = runFixture(t, 'transport-daemon.mjs', daemonArgs)
  const stdin = daemon.proc.stdin as NodeJS.WritableStream
  stdin.write('{"jsonrpc":"2.0","id":"s","method":"sleep","params":{"ms":50}}\n')
  await daemon.stderr.find((m) => m.started === 's')
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.stdout.next(), { jsonrpc: '2.0', id: 's', result: { slept: 50 } })
  t.same(await daemon.exit(), { code: 0, signal: null })
})

t.test('injected streams: the same pipeline, and the app closes when the input ends', async (t) => {
  const input = new PassThrough()
  const output = new PassThrough()
  const app = linefy()
  const release = deferred()
  app.method('slow', async () => { await release.promise; return 'done' })
  app.method('echo', async (req) => req.params)
  const closed = deferred()
  app.addHook('onClose', async () => closed.resolve())
  app.register(stdio, { input, output })
  await app.ready()
  t.same(app.addresses(), ['stdio'])
  const lines = new Lines(output)
  input.write('{"jsonrpc":"2.0","id":1,"method":"slow"}\n{"jsonrpc":"2.0","id":2,"method":"echo","params":{"b":2}}\n')
  input.end()
  release.resolve()
  t.same(await lines.next(), { jsonrpc: '2.0', id: 1, result: 'done' })
  t.same(await lines.next(), { jsonrpc: '2.0', id: 2, result: { b: 2 } })
  t.same(await lines.end(), [], 'the output is ended after the last reply')
  await closed.promise
  t.same(app.addresses(), [])
})

t.test('a broken output (the parent went away) closes the app quietly', async (t) => {
  const input = new PassThrough()
  const output = new PassThrough()
  const { log, records } = captureLogger('trace')
  const app = linefy({ logger: log })
  app.register(stdio, { input, output })
  await app.ready()
  const closed = waitFor(input, 'pause', 'stdin to be let go')
  output.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
  await closed
  await app.close()
  // with no 'error' listener left this would crash the process
  const gone = new Promise((resolve) => input.once('close', resolve))
  input.destroy(new Error('a late error on a stream no longer served'))
  await gone
  t.same(records.filter((r) => r.level > 20), [], 'nothing above debug')
  t.equal(app.activity.connections, 0)
})

t.test('a logger writing to stdout is refused in stdio mode', async (t) => {
  const app = linefy({ logger: pino(pino.destination({ dest: 1, sync: true })) })
  await t.rejects(app.register(stdio).ready(), { code: 'LINEFY_ERR_STDOUT_LOGGER' })
  const ok = linefy({ logger: pino(pino.destination({ dest: 2, sync: true })) })
  await t.resolves(ok.register(stdio, { input: new PassThrough(), output: new PassThrough() }).ready())
  await ok.close()
})

t.test('an input error is a warning, and the app closes', async (t) => {
  const input = new PassThrough()
  const { log, records } = captureLogger('info')
  const app = linefy({ logger: log })
  const closed = deferred()
  app.addHook('onClose', async () => closed.resolve())
  app.register(stdio, { input, output: new PassThrough() })
  await app.ready()
  input.destroy(new Error('the terminal went away'))
  await closed.promise
  t.match(records, [{ level: 40, msg: 'connection error', err: { message: 'the terminal went away' } }])
})

t.test('backpressure reaches stdin: a stalled connection stops reading its input', async (t) => {
  const input = new PassThrough()
  const output = new PassThrough()
  const app = linefy({ maxBacklog: 4 })
  const release = deferred()
  app.method('slow', async () => { await release.promise; return 'ok' })
  t.teardown(() => app.close())
  app.register(stdio, { input, output })
  await app.ready()
  const lines = new Lines(output)
  const paused = waitFor(input, 'pause', 'stdin to be paused')
  for (let i = 0; i < 5000; i++) input.write('{"jsonrpc":"2.0","id":1,"method":"slow"}\n')
  await paused
  t.ok(input.readableLength > 0, `the rest waits in stdin (${input.readableLength} bytes)`)
  release.resolve()
  input.end()
  t.equal((await lines.end()).length, 5000, 'every line answered once reading resumed')
})
