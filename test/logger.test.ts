import t from 'tap'
import { once } from 'node:events'
import { PassThrough, Writable } from 'node:stream'
import pino from 'pino'
import linefy from '../index.js'
import { LOG_BUFFER_BYTES, streamLogger } from '../src/core/logger.js'
import { captureLogger, rpc, injectLines } from './helpers/util.js'

t.test('logging is off by default and with logger: false', async (t) => {
  for (const app of [linefy(), linefy({ logger: false })]) {
    t.equal(app.log.level, 'silent')
    t.equal(typeof app.log.info, 'function', 'app.log is still a usable pino logger')
    await app.close()
  }
})

t.test('logger: true logs at info', async (t) => {
  const app = linefy({ logger: true })
  t.teardown(() => app.close())
  t.equal(app.log.level, 'info')
  t.notOk(app.log.isLevelEnabled('debug'))
})

t.test('logger options are passed to pino', async (t) => {
  const app = linefy({ logger: { level: 'warn', name: 'memd' } })
  t.teardown(() => app.close())
  t.equal(app.log.level, 'warn')
  t.match(app.log.bindings(), { name: 'memd' })
})

t.test('a pino instance is used as is', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  t.equal(app.log, log)
  app.log.info('hello')
  t.match(records, [{ msg: 'hello', level: 30 }])
})

t.test('req.log is bound to the connection id, the request id and the method', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.method('recall', (req) => {
    req.log.info('recalling')
    t.equal(req.log, req.log, 'the child logger is made once per request')
    return req.connection.id
  })
  const reply = await app.inject(rpc('r1', 'recall'))
  t.match(records.find((r) => r.msg === 'recalling'), { conn: reply?.result, reqId: 'r1', method: 'recall' })
})

t.test('a connection log carries the connection id', async (t) => {
  const { log, records } = captureLogger()
  const app = linefy({ logger: log })
  t.teardown(() => app.close())
  app.addHook('onConnection', (conn) => { conn.log.info('opened') })
  await injectLines(app, ['{}'])
  t.match(records.find((r) => r.msg === 'opened'), { conn: Number })
})

t.test('close() still finishes with a pino-compatible logger that cannot flush', async (t) => {
  const { log, records } = captureLogger()
  const noFlush = Object.create(log, { flush: { value: () => { throw new Error('flush not supported') } } }) as pino.Logger
  const app = linefy({ logger: noFlush })
  app.log.info('before close')
  await app.close()
  t.match(records, [{ msg: 'before close' }])
})

t.test('with logging off, raising the level later still keeps stdout clean', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.log.level = 'info'
  const stdout = t.capture(process.stdout, 'write')
  app.log.info('would corrupt a stdio JSON-RPC stream')
  const calls = stdout()
  t.same(calls, [])
})

t.test('a logger on a stream nobody reads holds at most LOG_BUFFER_BYTES, then says how many lines it dropped', async (t) => {
  const stream = new PassThrough()
  const log = streamLogger({ level: 'info', base: null, timestamp: false }, stream)
  const line = 'x'.repeat(1000)
  for (let i = 0; i < 3000; i++) log.info({ i }, line)
  t.ok(stream.writableLength < LOG_BUFFER_BYTES + 2000, `3 MB logged, ${stream.writableLength} bytes held`)
  const out: string[] = []
  stream.setEncoding('utf8').on('data', (s: string) => out.push(s))
  const records = await new Promise<Array<Record<string, unknown>>>((resolve) => {
    stream.on('data', () => {
      const text = out.join('')
      if (text.includes('"dropped"')) resolve(text.trim().split('\n').map((l) => JSON.parse(l)))
    })
  })
  const notice = records.pop() as { level: number, msg: string, dropped: number }
  t.match(notice, { level: 40, msg: /log lines dropped/ })
  t.equal(records.length + notice.dropped, 3000, `${records.length} lines written, ${notice.dropped} dropped and counted`)
  t.same(records.map((r) => r.i), records.map((_, i) => i), 'the lines kept are the first ones, in order')
  const next = once(stream, 'data')
  log.info('after')
  t.match(JSON.parse((await next)[0] as string), { msg: 'after' }, 'logging goes on')
})

t.test('a reader that only lags behind loses nothing, and no drop is reported', async (t) => {
  const stream = new PassThrough()
  const log = streamLogger({ level: 'info', base: null, timestamp: false }, stream)
  for (let i = 0; i < 100; i++) log.info({ i }, 'x'.repeat(1000))
  t.ok(stream.writableLength > stream.writableHighWaterMark, 'the stream is behind')
  let text = ''
  stream.setEncoding('utf8').on('data', (s: string) => { text += s })
  await once(stream, 'drain')
  const records = text.trim().split('\n').map((l) => JSON.parse(l))
  t.same(records.map((r) => r.i), [...Array(100).keys()], 'every line, in order, and no notice')
})

t.test('a logger on a stream whose reader is gone (EPIPE) stops writing there and never throws', async (t) => {
  let writes = 0
  const stream = new Writable({
    write (_chunk, _enc, cb) {
      writes++
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    }
  })
  const log = streamLogger({ level: 'info' }, stream)
  // not events.once: it rejects on the 'error' this test is about
  const closed = new Promise((resolve) => stream.once('close', resolve))
  log.info('the journal is still there')
  await closed
  t.doesNotThrow(() => { for (let i = 0; i < 10; i++) log.error(new Error('later'), 'logged to nobody') })
  t.equal(writes, 1, 'nothing written after the pipe broke')
})
