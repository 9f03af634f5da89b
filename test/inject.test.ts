import t from 'tap'
import linefy from '../index.js'
import { deferred, rpc, injectLines } from './helpers/util.js'

t.test('an object gives its reply', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('echo', async (req) => req.params)
  t.same(await app.inject(rpc(1, 'echo', { a: 1 })), { jsonrpc: '2.0', id: 1, result: { a: 1 } })
})

t.test('a notification gives undefined', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let ran = false
  app.method('note', () => { ran = true })
  t.equal(await app.inject(rpc(undefined, 'note')), undefined)
  t.ok(ran, 'the notification still ran')
})

t.test('raw lines run on one connection and give one entry per line', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('conn', (req) => req.connection.id)
  const replies = await injectLines(app, [
    '{"jsonrpc":"2.0","id":1,"method":"conn"}',
    rpc(2, 'conn'),
    '',
    'not json'
  ])
  t.equal(replies.length, 4)
  t.equal(replies[0]?.result, replies[1]?.result, 'both lines shared a connection')
  t.equal(replies[2], undefined, 'a blank line gets no reply')
  t.equal(replies[3]?.error?.code, -32700)
})

t.test('each object inject runs on a fresh connection', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('conn', (req) => req.connection.id)
  const a = await app.inject(rpc(1, 'conn'))
  const b = await app.inject(rpc(1, 'conn'))
  t.not(a?.result, b?.result)
})

t.test('an empty list of lines resolves to an empty list', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  t.same(await injectLines(app, []), [])
})

t.test('readies the app before the first line', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  let readied = false
  app.addHook('onReady', async () => { readied = true })
  app.method('readied', () => readied)
  t.same(await app.inject(rpc(1, 'readied')), { jsonrpc: '2.0', id: 1, result: true })
})

t.test('leaves no connection open once answered', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('count', () => app.activity.connections)
  const reply = await app.inject(rpc(1, 'count'))
  t.equal(reply?.result, 1, 'the fake connection counted while the request ran')
  t.equal(app.activity.connections, 0)
})

t.test('rejects after close', async (t) => {
  const app = linefy()
  await app.close()
  await t.rejects(app.inject(rpc(1, 'x')), { code: 'LINEFY_ERR_CLOSED' })
})

t.test('rejects when close() begins before the injected lines were fed', async (t) => {
  const app = linefy()
  let ran = false
  app.method('x', () => { ran = true })
  await app.ready()
  const injected = app.inject(rpc(1, 'x'))
  const closed = app.close()
  await t.rejects(injected, { code: 'LINEFY_ERR_CLOSED' })
  await closed
  t.notOk(ran)
})

t.test('rejects when close() begins while the app is getting ready', async (t) => {
  const app = linefy()
  const gate = deferred()
  app.register(async () => { await gate.promise })
  const injected = app.inject(rpc(1, 'x'))
  const closed = app.close()
  gate.resolve()
  await t.rejects(injected, { code: 'LINEFY_ERR_CLOSED' })
  await closed
})

t.test('rejects when the close() deadline ends its connection before every line is answered', async (t) => {
  const app = linefy({ closeGraceMs: 10 })
  const entered = deferred()
  app.control('hang', () => {
    entered.resolve()
    return new Promise(() => {})
  })
  await app.ready()
  const injected = app.inject({ type: 'hang' })
  await entered.promise
  const closed = app.close()
  await t.rejects(injected, { code: 'LINEFY_ERR_CLOSED' })
  await closed
  t.equal(app.activity.connections, 0, 'the connection was released')
})
