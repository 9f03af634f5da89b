import t from 'tap'
import linefy, { RpcError, type LinefyOptions, type Request } from '../index.js'
import { captureLogger, rpc, tempSocket } from './helpers/util.js'
import { connect, serveOn } from './helpers/wire.js'

async function served (t: Parameters<Parameters<typeof t.test>[1]>[0], opts: LinefyOptions = {}) {
  const path = tempSocket(t)
  const { log, records } = captureLogger('warn')
  const app = linefy({ logger: log, ...opts })
  const outcome: unknown[] = []
  app.method('ask', async (req: Request) => {
    try {
      return { got: await req.connection.request('sampling/createMessage', req.params, { timeout: (req.params as { timeout?: number } | undefined)?.timeout }) }
    } catch (err) {
      outcome.push(err)
      throw err
    }
  })
  await serveOn(t, app, path)
  return { app, records, outcome, client: await connect(path, t) }
}

t.test('a handler asks its client; the reply, read on the same busy connection, resolves the request', async (t) => {
  const { client } = await served(t)
  client.send(rpc(1, 'ask', { prompt: 'hi' }))
  const asked = await client.lines.next()
  t.match(asked, { jsonrpc: '2.0', method: 'sampling/createMessage', params: { prompt: 'hi' } })
  t.type(asked.id, 'number')
  client.send({ jsonrpc: '2.0', id: asked.id, result: { text: 'hello' } })
  t.same(await client.lines.next(), { jsonrpc: '2.0', id: 1, result: { got: { text: 'hello' } } })
  client.send(rpc(2, 'nope'))
  t.match(await client.lines.next(), { id: 2, error: { code: -32601 } }, 'the reply it took was not answered as well')
})

t.test("the client's error reply rejects with an RpcError carrying its code and data", async (t) => {
  const { client, outcome } = await served(t)
  client.send(rpc(1, 'ask'))
  const asked = await client.lines.next()
  client.send({ jsonrpc: '2.0', id: asked.id, error: { code: -1, message: 'user said no', data: { why: 'declined' } } })
  t.match(await client.lines.next(), { id: 1, error: { code: -1, message: 'user said no', data: { why: 'declined' } } })
  t.ok(outcome[0] instanceof RpcError)
})

t.test('a server request that times out rejects -32003 and tells the client to cancel it', async (t) => {
  const { client } = await served(t)
  client.send(rpc(1, 'ask', { timeout: 20 }))
  const asked = await client.lines.next()
  const cancel = await client.lines.next()
  t.same(cancel, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: asked.id, reason: 'request timed out after 20 ms' } })
  t.match(await client.lines.next(), { id: 1, error: { code: -32003 } })
  client.send({ jsonrpc: '2.0', id: asked.id, result: 'too late' })
  t.match(await client.call('nope', undefined, 2), { id: 2, error: { code: -32601 } }, 'the late reply was dropped without an answer')
})

t.test('a server request whose signal aborts rejects -32800; one whose client leaves rejects -32002', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  const seen: unknown[] = []
  let abort!: () => void
  app.method('abortable', async (req: Request) => {
    const ac = new AbortController()
    abort = () => ac.abort()
    return await req.connection.request('roots/list', undefined, { signal: ac.signal }).catch((err) => { seen.push(err); return 'aborted' })
  })
  app.method('orphan', async (req: Request) => {
    return await req.connection.request('roots/list').catch((err) => { seen.push(err); throw err })
  })
  await serveOn(t, app, path)
  const client = await connect(path, t)
  client.send(rpc(1, 'abortable'))
  t.match(await client.lines.next(), { method: 'roots/list' }, 'asked without params')
  abort()
  t.match(await client.lines.next(), { method: 'notifications/cancelled' })
  t.same(await client.lines.next(), { jsonrpc: '2.0', id: 1, result: 'aborted' })
  t.match(seen[0], { code: -32800 })
  client.send(rpc(2, 'orphan'))
  await client.lines.next()
  client.socket.destroy()
  await new Promise<void>((resolve) => { const check = (): void => { seen.length === 2 ? resolve() : setImmediate(check) }; check() })
  t.match(seen[1], { code: -32002, message: 'client disconnected' })
})

t.test('inject() has no client to ask: a server request rejects -32002 at once, naming the method', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.method('ask', (req: Request) => req.connection.request('roots/list'))
  t.match(await app.inject(rpc(1, 'ask')), { id: 1, error: { code: -32002, message: "cannot send 'roots/list': the connection is ending or has no client to ask (inject())" } })
})

t.test('a reply to no request of ours gets no answer and a warning in spec mode, -32600 in seed mode', async (t) => {
  const spec = await served(t)
  spec.client.send({ jsonrpc: '2.0', id: 77, result: 'stray' })
  spec.client.send(rpc(5, 'nope'))
  t.match(await spec.client.lines.next(), { id: 5, error: { code: -32601 } }, 'the stray reply got nothing')
  t.ok(spec.records.some((r) => r.msg === 'a reply to no request of ours: dropped' && r.id === 77))

  const seed = await served(t, { compat: 'seed' })
  t.match(await seed.client.request({ jsonrpc: '2.0', id: 77, result: 'stray' }), { id: 77, error: { code: -32600, message: 'method must be a string' } })
})

t.test('a method with connectionCompat sets its connection to spec JSON-RPC in a seed daemon, and only that connection', async (t) => {
  const path = tempSocket(t)
  const app = linefy({ compat: 'seed' })
  app.method('initialize', { connectionCompat: 'spec' }, () => ({ protocolVersion: 'x' }))
  app.method('echo', (req) => req.params)
  await serveOn(t, app, path)
  const mcp = await connect(path, t)
  const line = await connect(path, t)
  t.match(await mcp.call('initialize', {}, 1), { result: { protocolVersion: 'x' } })
  mcp.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  mcp.send(JSON.stringify([rpc(2, 'echo', [2])]))
  t.same(await mcp.lines.next(), [{ jsonrpc: '2.0', id: 2, result: [2] }], 'the notification got no reply; the batch was served')
  t.match(await line.request({ jsonrpc: '2.0', method: 'echo' }), { id: null, error: { code: -32600, message: 'id required and non-null' } }, 'another connection keeps seed')
  t.throws(() => linefy().method('x', { connectionCompat: 'http' as never }, () => 1), { code: 'LINEFY_ERR_INVALID_OPTION' })
})

t.test('a server request with an aborted signal rejects at once; an error reply without a numeric code is -32603', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  app.method('pre', (req: Request) => req.connection.request('x', undefined, { signal: AbortSignal.abort() }).catch((e: RpcError) => e.code))
  app.method('odd', (req: Request) => req.connection.request('x').catch((e: RpcError) => [e.code, e.message]))
  await serveOn(t, app, path)
  const client = await connect(path, t)
  t.same((await client.call('pre', undefined, 1)).result, -32800, 'nothing was sent')
  client.send(rpc(2, 'odd'))
  const asked = await client.lines.next()
  client.send({ jsonrpc: '2.0', id: asked.id, error: { code: 'E_WEIRD', message: 'odd' } })
  t.same((await client.lines.next()).result, [-32603, 'odd'])
})
