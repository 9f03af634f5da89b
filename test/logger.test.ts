import t from 'tap'
import pino from 'pino'
import linefy from '../index.js'
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
