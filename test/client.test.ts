import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy, { contentLength, contentLengthFraming } from '../index.js'
import { connect, RpcError, type Client } from '../client.js'
import demo from '../plugins/demo.js'
import lifecycle from '../plugins/lifecycle.js'
import { tempDir, tempSocket } from './helpers/util.js'
import { Lines, rawServer, serveOn } from './helpers/wire.js'

async function daemon (t: Test, setup: (app: ReturnType<typeof linefy>) => void = () => {}, compat: 'seed' | 'spec' = 'seed'): Promise<string> {
  const path = tempSocket(t)
  const app = linefy({ compat })
  app.register(lifecycle)
  app.register(demo)
  setup(app)
  await serveOn(t, app, path)
  return path
}

async function open (t: Test, path: string): Promise<Client> {
  const client = await connect(path)
  t.teardown(() => client.close())
  return client
}

t.test('call resolves with the result', async (t) => {
  const client = await open(t, await daemon(t))
  t.same(await client.call('add', { a: 2, b: 3 }), 5)
  t.same(await client.call('echo', ['x', 1]), ['x', 1])
  t.same(await client.call('echo'), {}, 'no params: none sent, and a seed-mode handler sees {}')
})

t.test('concurrent calls each get their own reply', async (t) => {
  const client = await open(t, await daemon(t))
  const sums = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call('add', { a: i, b: 1 })))
  t.same(sums, Array.from({ length: 50 }, (_, i) => i + 1))
})

t.test('a JSON-RPC error rejects with its numeric code and message', async (t) => {
  const client = await open(t, await daemon(t))
  await t.rejects(client.call('nope'), { name: 'RpcError', code: -32601, message: "unknown method 'nope'" })
  await t.rejects(client.call('fail', { message: 'boom' }), { code: -32001, message: 'boom' })
  const err = await client.call('sleep', { ms: -1 }).catch((e: unknown) => e)
  t.ok(err instanceof RpcError && err instanceof Error)
  t.equal((err as RpcError).code, -32602)
  t.same(await client.call('add', { a: 1, b: 1 }), 2, 'the connection stays usable')
})

t.test('an error carrying data keeps it', async (t) => {
  const client = await open(t, await daemon(t, (app) => {
    app.method('rich', () => { throw Object.assign(new Error('quota'), { code: -32010, data: { left: 0 } }) })
  }))
  await t.rejects(client.call('rich'), { code: -32010, message: 'quota', data: { left: 0 } })
})

t.test('control lines get the plain-object reply, in turn with calls', async (t) => {
  const client = await open(t, await daemon(t))
  const [paused, sum, status, resumed] = await Promise.all([
    client.control('pause'),
    client.call('add', { a: 1, b: 2 }),
    client.control('status'),
    client.control('resume')
  ])
  t.same(paused, { ok: true, paused: true })
  t.equal(sum, 3)
  t.match(status, { ok: true, state: 'WAKE', scheduler_paused: true, connections: 1 })
  t.same(resumed, { ok: true, paused: false })
  t.same(await client.control('session_open', { session_id: 'test' }), { ok: true, reason: 'session_open_queued' })
})

t.test('an unknown control type rejects with -32600, and later replies still line up', async (t) => {
  const client = await open(t, await daemon(t))
  const [bad, status, sum] = await Promise.allSettled([client.control('reboot'), client.control('status'), client.call('add', { a: 1, b: 1 })])
  t.match(bad, { status: 'rejected', reason: { code: -32600, message: "unknown control type 'reboot'" } })
  t.match(status, { status: 'fulfilled', value: { ok: true, state: 'WAKE' } })
  t.match(sum, { status: 'fulfilled', value: 2 })
})

t.test('server notifications arrive as events', async (t) => {
  const client = await open(t, await daemon(t, (app) => {
    app.method('progress', (req) => {
      req.connection.notify('progress', { done: 1 })
      req.connection.notify('tick')
      return 'finished'
    })
  }))
  const seen: unknown[] = []
  client.on('notification', (method: string, params: unknown) => seen.push([method, params]))
  t.equal(await client.call('progress'), 'finished')
  t.same(seen, [['progress', { done: 1 }], ['tick', undefined]])
})

t.test('notify sends a notification: run without a reply in spec mode, refused in seed mode', async (t) => {
  for (const compat of ['spec', 'seed'] as const) {
    let got: unknown
    const client = await open(t, await daemon(t, (app) => {
      app.method('remember', (req) => { got = req.params })
    }, compat))
    client.notify('echo')
    client.notify('remember', { x: 1 })
    // in seed mode each notification is answered -32600 with id null: that
    // must not be taken for the reply to the call that follows
    t.equal(await client.call('add', { a: 1, b: 1 }), 2, compat)
    t.same(got, compat === 'spec' ? { x: 1 } : undefined, compat)
    t.match(await client.control('status'), { ok: true }, compat)
  }
})

t.test('a reply split across chunks, even inside a UTF-8 character, is reassembled', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, async (s) => {
    const req: { id: number } = await new Lines(s).next()
    const bytes = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: 'héllo ✓' }) + '\n')
    for (const b of bytes) s.write(Buffer.from([b]))
  })
  const client = await open(t, path)
  t.equal(await client.call('x'), 'héllo ✓')
})

t.test('pending calls reject with -32002 when the socket dies', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, async (s) => {
    await new Lines(s).nextLine()
    s.destroy()
  })
  const client = await open(t, path)
  const closed = new Promise((resolve) => client.once('close', resolve))
  const calls = [client.call('a'), client.call('b'), client.control('status')]
  for (const c of calls) {
    await t.rejects(c, { code: -32002, message: 'transport lost: the daemon closed the connection before replying' })
  }
  await closed
  await t.rejects(client.call('late'), { code: -32002, message: /connection is closed/ })
  client.notify('ignored')
  await client.close()
})

t.test('a peer that is not a linefy daemon fails the pending calls clearly', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, async (s) => {
    await new Lines(s).nextLine()
    s.write('HTTP/1.1 400 Bad Request\r\n')
  })
  const client = await open(t, path)
  await t.rejects(client.call('x'), { code: -32002, message: /not JSON: check that --socket points at a linefy daemon/ })
})

t.test('stray lines are ignored', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, async (s) => {
    const req: { id: number } = await new Lines(s).next()
    s.write('42\n{"ok":true}\n{"jsonrpc":"2.0","id":999,"result":1}\n{"jsonrpc":"2.0","id":"srv","method":"server/request"}\n')
    s.write(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: 'mine' }) + '\n')
    s.write('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"late"}}\n')
    s.end()
  })
  const client = await open(t, path)
  const closed = new Promise((resolve) => client.once('close', resolve))
  t.equal(await client.call('x'), 'mine')
  await closed
})

t.test('a timeout rejects with -32003 and cancels the work on the daemon', async (t) => {
  const client = await open(t, await daemon(t))
  await t.rejects(client.call('sleep', { ms: 60_000 }, { timeout: 20 }), { code: -32003, message: 'request timed out after 20 ms' })
  t.same(await client.call('add', { a: 1, b: 1 }, { timeout: 5000 }), 2, 'the late -32800 reply is not mistaken for this one')
  t.match(await client.control('status'), { in_flight: 0 })
})

t.test('a control line that times out still consumes its late reply', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, async (s) => {
    // answer nothing until the second control line, then both in order
    await new Lines(s).count(2)
    s.write('{"ok":true,"n":1}\n{"ok":true,"n":2}\n')
  })
  const client = await open(t, path)
  await t.rejects(client.control('status', {}, { timeout: 10 }), { code: -32003 })
  t.same(await client.control('status'), { ok: true, n: 2 })
})

t.test('aborting the signal rejects with -32800 and cancels the work', async (t) => {
  const client = await open(t, await daemon(t))
  const ac = new AbortController()
  const call = client.call('sleep', { ms: 60_000 }, { signal: ac.signal })
  ac.abort()
  await t.rejects(call, { code: -32800, message: 'request cancelled' })
  await t.rejects(client.call('echo', {}, { signal: ac.signal }), { code: -32800 }, 'an aborted signal rejects at once')
  const done = new AbortController()
  t.same(await client.call('echo', [1], { signal: done.signal, timeout: 5000 }), [1])
  done.abort()
  t.match(await client.control('status'), { in_flight: 0 })
})

t.test('close() lets the daemon answer what was already sent', async (t) => {
  const client = await connect(await daemon(t))
  const pending = client.call('sleep', { ms: 20 })
  await client.close()
  t.same(await pending, { slept: 20 })
  await client.close()
})

t.test('connect names the path when no daemon listens there', async (t) => {
  const dir = tempDir(t)
  const missing = join(dir, 'none.sock')
  await t.rejects(connect(missing), {
    code: 'LINEFY_ERR_NOT_RUNNING',
    message: `no daemon is listening on ${missing}: start one with \`linefy daemon\`, or pass --socket with the path it listens on`
  })
  const notSocket = join(dir, 'file')
  writeFileSync(notSocket, '')
  await t.rejects(connect(notSocket), { code: 'LINEFY_ERR_NOT_RUNNING' }, 'a file nobody listens on')
  await t.rejects(connect(join(notSocket, 'x.sock')), { code: 'ENOTDIR' }, 'other failures pass through')
})

t.test('a reply over maxReplyBytes fails the pending calls with a clear error and closes, without holding the reply', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, (socket) => {
    socket.once('data', () => {
      // a runaway daemon: one reply line that never ends, in 64 KiB chunks
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      const pump = (): void => { while (!socket.destroyed && socket.write(chunk)); }
      socket.on('drain', pump)
      socket.on('error', () => {})
      pump()
    })
  })
  const client = await connect(path, { maxReplyBytes: 1024 * 1024 })
  const closed = new Promise((resolve) => client.once('close', resolve))
  await t.rejects(client.call('anything'), { code: -32002, message: /over maxReplyBytes \(1048576\): raise maxReplyBytes in connect\(\)/ })
  await closed
  await t.rejects(client.call('after'), { code: -32002 }, 'the connection is closed')
})

t.test('a client speaks the framing its daemon uses: Content-Length, and fails clearly on a stream it cannot frame', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  app.register(contentLength)
  app.method('echo', (req) => req.params)
  await serveOn(t, app, path)
  const client = await connect(path, { framing: contentLengthFraming })
  t.teardown(() => client.close())
  t.same(await client.call('echo', ['ü', 1]), ['ü', 1])

  const broken = tempSocket(t, 'broken.sock')
  await rawServer(t, broken, (socket) => { socket.once('data', () => socket.write('Content-Type: nothing\r\n\r\n')) })
  const other = await connect(broken, { framing: contentLengthFraming })
  await t.rejects(other.call('x'), { code: -32002, message: /malformed frame: missing Content-Length header/ })
})
