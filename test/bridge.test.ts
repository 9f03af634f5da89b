import { connect as netConnect, type Socket } from 'node:net'
import { Writable } from 'node:stream'
import t from 'tap'
import { main } from '../src/cli/main.js'
import { bridge } from '../src/client/bridge.js'
import { buildDaemon } from '../src/daemon/daemon.js'
import { deferred, tempSocket, waitFor } from './helpers/util.js'
import { mainIo, runFixture, runMainLive, serveDaemon } from './helpers/process.js'
import { Lines, rawServer, serveOn } from './helpers/wire.js'

t.test('relays requests and replies; stdin EOF ends it cleanly once everything is answered', async (t) => {
  const path = await serveDaemon(t)
  const s = runMainLive(['bridge', '--socket', path])
  s.io.stdin.write('{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":20}}\n{"type":"status"}\n')
  s.io.stdin.end('{"jsonrpc":"2.0","id":"b","method":"add","params":{"a":1,"b":2}}\n')
  t.equal(await s.code, 0)
  t.same(s.stdout.all.map((l) => JSON.parse(l)), [
    { jsonrpc: '2.0', id: 1, result: { slept: 20 } },
    JSON.parse(s.stdout.all[1] as string),
    { jsonrpc: '2.0', id: 'b', result: 3 }
  ])
  t.match(JSON.parse(s.stdout.all[1] as string), { ok: true, state: 'WAKE' })
  t.same(s.stderr.all, [])
})

t.test('bytes pass through untouched: the daemon, not the bridge, judges bad input', async (t) => {
  const path = await serveDaemon(t)
  const s = mainIo()
  const done = bridge(path, s.io.stdin, s.io.stdout)
  s.io.stdin.write(Buffer.from([0xff, 0xfe, 0x0a]))
  s.io.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ec')
  s.io.stdin.end('ho","params":["é"]}\n')
  t.same(await done, { clean: true, lost: 0 })
  t.match(JSON.parse(s.stdout.all[0] as string), { id: null, error: { code: -32700, message: /UTF-8/ } })
  t.same(JSON.parse(s.stdout.all[1] as string), { jsonrpc: '2.0', id: 2, result: ['é'] })
})

t.test('when the daemon goes away, every request in flight gets -32002 and the bridge exits 1', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, async (sock) => {
    // answer the first request, then die with the others in flight
    await new Lines(sock).count(4)
    sock.write('{"jsonrpc":"2.0","id":1,"result":"ok"}\n')
    sock.destroy()
  })
  const s = runMainLive(['bridge', '--socket', path])
  s.io.stdin.write([
    '{"jsonrpc":"2.0","id":1,"method":"a"}',
    '{"jsonrpc":"2.0","id":"two","method":"b"}',
    '[{"jsonrpc":"2.0","id":3,"method":"c"},{"jsonrpc":"2.0","method":"note"}]',
    '{"type":"status"}'
  ].join('\n') + '\n')
  t.equal(await s.code, 1)
  const lost = { code: -32002, message: 'transport lost: the daemon closed the connection before replying' }
  t.same(s.stdout.all.map((l) => JSON.parse(l)), [
    { jsonrpc: '2.0', id: 1, result: 'ok' },
    { jsonrpc: '2.0', id: 'two', error: lost },
    { jsonrpc: '2.0', id: 3, error: lost }
  ])
  t.same(s.stderr.all, ['linefy: the daemon closed the connection; 2 request(s) in flight were answered -32002'])
})

t.test('a reply cut off mid-line is ended before the -32002 replies', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, async (sock) => {
    await new Lines(sock).nextLine()
    sock.write('{"jsonrpc":"2.0","id":1,"res')
    sock.destroy()
  })
  const s = mainIo()
  const done = bridge(path, s.io.stdin, s.io.stdout)
  s.io.stdin.write('{"jsonrpc":"2.0","id":1,"method":"a"}\n')
  t.same(await done, { clean: false, lost: 1 })
  t.equal(s.stdout.all[0], '{"jsonrpc":"2.0","id":1,"res')
  t.match(JSON.parse(s.stdout.all[1] as string), { id: 1, error: { code: -32002 } })
})

t.test('a daemon that closes with nothing in flight still ends the bridge with exit 1', async (t) => {
  const path = tempSocket(t)
  await rawServer(t, path, (sock) => sock.end())
  const s = runMainLive(['bridge', '--socket', path])
  t.equal(await s.code, 1)
  t.same(s.stdout.all, [])
  t.match(s.stderr.all, [/0 request\(s\) in flight/])
})

t.test('no daemon and --wait 0: a one-line hint naming the path, exit 1, at once', async (t) => {
  const path = tempSocket(t)
  const s = runMainLive(['bridge', '--socket', path, '--wait', '0'])
  t.equal(await s.code, 1)
  t.same(s.stderr.all, [`linefy: no daemon is listening on ${path}: start one with \`linefy daemon\`, or pass --socket with the path it listens on`])
})

t.test('a daemon that comes up while the bridge waits gets what stdin sent meanwhile, in order', async (t) => {
  const path = tempSocket(t)
  const s = mainIo()
  const waiting = deferred()
  const done = bridge(path, s.io.stdin, s.io.stdout, { wait: 10_000, onWait: waiting.resolve })
  s.io.stdin.write('{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":2}}\n')
  await waiting.promise
  s.io.stdin.end('{"type":"status"}\n{"jsonrpc":"2.0","id":2,"method":"echo","params":["late"]}\n')
  await serveOn(t, buildDaemon({ demo: true, logLevel: 'silent' }), path)
  t.same(await done, { clean: true, lost: 0 })
  t.same(JSON.parse(s.stdout.all[0] as string), { jsonrpc: '2.0', id: 1, result: 3 })
  t.match(JSON.parse(s.stdout.all[1] as string), { ok: true, state: 'WAKE' })
  t.same(JSON.parse(s.stdout.all[2] as string), { jsonrpc: '2.0', id: 2, result: ['late'] })
})

t.test('while it waits, the bridge holds a bounded amount of stdin and pauses the rest', async (t) => {
  const path = tempSocket(t)
  const s = mainIo()
  const done = bridge(path, s.io.stdin, s.io.stdout, { wait: 10_000 })
  const paused = waitFor(s.io.stdin, 'pause')
  const big = 'x'.repeat(900 * 1024)
  for (let i = 0; i < 3; i++) s.io.stdin.write(`{"jsonrpc":"2.0","id":${i},"method":"echo","params":["${big}"]}\n`)
  s.io.stdin.end()
  await paused
  t.ok(s.io.stdin.readableLength > 0, `${s.io.stdin.readableLength} bytes left in stdin, unread`)
  await serveOn(t, buildDaemon({ demo: true, logLevel: 'silent' }), path)
  t.same(await done, { clean: true, lost: 0 })
  t.same(s.stdout.all.map((l) => (JSON.parse(l) as { id: number, result: string[] }).id), [0, 1, 2])
})

t.test('past --wait, every request stdin sent gets -32002, and the hint says how long it waited', async (t) => {
  const path = tempSocket(t)
  const s = mainIo()
  s.io.stdin.write('{"jsonrpc":"2.0","id":1,"method":"a"}\n{"jsonrpc":"2.0","method":"note"}\n{"jsonrpc":"2.0","id":"b","method":"b"}\n')
  t.equal(await main(['bridge', '--socket', path, '--wait', '100'], {}, s.io), 1)
  const lost = { code: -32002, message: `transport lost: no daemon is listening on ${path}` }
  t.same(s.stdout.all.map((l) => JSON.parse(l)), [{ jsonrpc: '2.0', id: 1, error: lost }, { jsonrpc: '2.0', id: 'b', error: lost }])
  t.same(s.stderr.all, [
    `linefy: no daemon on ${path} yet: waiting up to 100 ms for one`,
    `linefy: no daemon is listening on ${path} (waited 100 ms): start one with \`linefy daemon\`, or pass --socket with the path it listens on`
  ])
})

t.test('an error that waiting cannot fix fails at once', async (t) => {
  const s = mainIo()
  const started = Date.now()
  await t.rejects(bridge('/etc/passwd/d.sock', s.io.stdin, s.io.stdout, { wait: 60_000 }), { code: 'ENOTDIR' })
  t.ok(Date.now() - started < 30_000, 'did not wait for the deadline')
})

t.test('a stopped daemon whose backlog is full is waited for too, and served once it runs again', async (t) => {
  const path = tempSocket(t)
  const daemon = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path })])
  await daemon.stderr.find((m) => m.ready === true)
  daemon.proc.kill('SIGSTOP')
  t.teardown(() => { daemon.proc.kill('SIGCONT') })
  const pending: Socket[] = []
  t.teardown(() => { for (const p of pending) p.destroy() })
  let err: NodeJS.ErrnoException | null = null
  for (let i = 0; i < 5000 && err === null; i++) {
    const p = netConnect(path)
    pending.push(p)
    err = await new Promise((resolve) => { p.once('connect', () => resolve(null)); p.once('error', resolve) })
  }
  t.equal(err?.code, 'EAGAIN', 'the backlog is full')
  const s = mainIo()
  const waiting = deferred()
  const done = bridge(path, s.io.stdin, s.io.stdout, { wait: 20_000, onWait: waiting.resolve })
  s.io.stdin.end('{"jsonrpc":"2.0","id":1,"method":"echo","params":["back"]}\n')
  await waiting.promise
  for (const p of pending) p.destroy()
  daemon.proc.kill('SIGCONT')
  t.same(await done, { clean: true, lost: 0 })
  t.same(JSON.parse(s.stdout.all[0] as string), { jsonrpc: '2.0', id: 1, result: ['back'] })
  daemon.proc.kill('SIGTERM')
  await daemon.exit()
})

t.test('slow consumers on either side are waited for, not buffered without bound', async (t) => {
  const path = await serveDaemon(t)
  const s = mainIo()
  const chunks: Buffer[] = []
  let buffered = 0
  // a host that reads its stdin slowly: every write fills its buffer
  const stdout: Writable = new Writable({
    highWaterMark: 1,
    write (chunk: Buffer, _enc, cb) {
      chunks.push(chunk)
      buffered = Math.max(buffered, stdout.writableLength)
      setImmediate(cb)
    }
  })
  const done = bridge(path, s.io.stdin, stdout)
  const big = 'x'.repeat(256 * 1024)
  const n = 8
  for (let i = 0; i < n; i++) s.io.stdin.write(`{"jsonrpc":"2.0","id":${i},"method":"echo","params":["${big}"]}\n`)
  s.io.stdin.end()
  const replies = new Lines()
  t.same(await done, { clean: true, lost: 0 })
  for (const c of chunks) replies.push(c)
  t.equal(replies.all.length, n)
  t.same(replies.all.map((l) => (JSON.parse(l) as { id: number }).id), [...Array(n).keys()])
  t.ok(buffered < big.length, `at most ${buffered} bytes waited for the host, less than one reply`)
})

t.test('a host that closes its end stops the bridge', async (t) => {
  const path = await serveDaemon(t)
  const s = mainIo()
  const stdout = new Writable({
    write (_chunk, _enc, cb) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    }
  })
  const done = bridge(path, s.io.stdin, stdout)
  s.io.stdin.write('{"jsonrpc":"2.0","id":1,"method":"echo"}\n')
  t.same(await done, { clean: false, lost: 0 })
})

t.test('a line too long for the bridge to read is still relayed untouched, both ways', async (t) => {
  const path = await serveDaemon(t)
  const s = mainIo()
  const done = bridge(path, s.io.stdin, s.io.stdout, { maxLineBytes: 256 })
  const big = 'é'.repeat(500)
  s.io.stdin.write(`{"jsonrpc":"2.0","id":1,"method":"echo","params":["${big}"]}\n`)
  s.io.stdin.end('{"jsonrpc":"2.0","id":2,"method":"add","params":{"a":1,"b":2}}\n')
  t.same(await done, { clean: true, lost: 0 })
  t.same(s.stdout.all.map((l) => JSON.parse(l)), [{ jsonrpc: '2.0', id: 1, result: [big] }, { jsonrpc: '2.0', id: 2, result: 3 }])
})
