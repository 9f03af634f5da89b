import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildDaemon } from '../src/daemon/daemon.js'
import { tempDir } from './helpers/util.js'
import { listening, runCli, runMain, runMainLive, startDaemon } from './helpers/process.js'
import { curl, hasCurl, rpcLine, send, tcpTarget } from './helpers/http-kit.js'


t.test('the real CLI: --http PATH serves HTTP on a socket file beside the line socket; SIGTERM removes both', { skip: hasCurl ? false : 'curl is not installed' }, async (t) => {
  const dir = join(tempDir(t), 'run')
  const line = join(dir, 'd.sock')
  const http = join(dir, 'h.sock')
  const child = await startDaemon(t, line, ['--demo', '--http', http])
  const { addresses } = child
  t.same(addresses, [line, `http+unix:${http}`])
  t.equal(statSync(http).mode & 0o777, 0o600)
  const add = await curl(['--unix-socket', http, 'http://localhost/', '-H', 'Content-Type: application/json', '-d', rpcLine(1, 'add', { a: 2, b: 3 })])
  t.same(add, { code: 0, stdout: '{"jsonrpc":"2.0","id":1,"result":5}', stderr: '' })
  const health = await curl(['--unix-socket', http, 'http://localhost/health'])
  t.match(JSON.parse(health.stdout), { ok: true, state: 'WAKE', scheduler_paused: false, pid: child.proc.pid })
  const pause = await curl(['--unix-socket', http, 'http://localhost/', '--json', '{"type":"pause"}'])
  t.same(JSON.parse(pause.stdout), { ok: true, paused: true }, 'the control plane answers over HTTP too')
  t.match(JSON.parse((await runCli(t, ['control', '--socket', line, 'status'])).stdout), { scheduler_paused: true }, 'one daemon, one state')
  const seed = await curl(['--unix-socket', http, 'http://localhost/', '--json', rpcLine(undefined, 'echo')])
  t.match(JSON.parse(seed.stdout), { error: { code: -32600, message: 'id required and non-null' } }, 'the wire behaviour of the line socket (seed)')
  child.proc.kill('SIGTERM')
  t.same(await child.exited, { code: 0, signal: null })
  t.equal(existsSync(http), false)
  t.equal(existsSync(line), false)
})

t.test('the real CLI: --http HOST:PORT serves HTTP on TCP', async (t) => {
  const child = await startDaemon(t, join(tempDir(t), 'd.sock'), ['--demo', '--http', '127.0.0.1:0'])
  const { addresses } = child
  const to = tcpTarget(addresses[1] as string)
  t.equal(to.host, '127.0.0.1')
  t.same((await send(to, rpcLine(7, 'add', { a: 40, b: 2 }))).json(), { jsonrpc: '2.0', id: 7, result: 42 })
  child.proc.kill('SIGTERM')
  t.same(await child.exited, { code: 0, signal: null })
})

t.test('daemon in-process: --http PATH is a socket file', async (t) => {
  const path = join(tempDir(t), 'h.sock')
  const r = runMainLive(['daemon', '--stdio', '--demo', '--http', path])
  t.same(JSON.parse(await r.stderr.match(listening)).addresses, ['stdio', `http+unix:${path}`])
  t.same((await send({ socketPath: path }, rpcLine(1, 'add', { a: 1, b: 1 }))).json().result, 2)
  r.io.stdin.end()
  t.equal(await r.code, 0)
  t.equal(existsSync(path), false)
})

t.test('daemon in-process: --http PORT is TCP on 127.0.0.1, --http [::1]:PORT on IPv6', async (t) => {
  for (const [flag, host] of [['0', '127.0.0.1'], ['[::1]:0', '::1']] as const) {
    const r = runMainLive(['daemon', '--stdio', '--demo', '--http', flag])
    const to = tcpTarget(JSON.parse(await r.stderr.match(listening)).addresses[1])
    t.equal(to.host, host, flag)
    t.equal((await send(to, rpcLine(1, 'echo', [flag]), { headers: { host: `${host.includes(':') ? `[${host}]` : host}:${to.port}` } })).json().result[0], flag)
    r.io.stdin.end()
    t.equal(await r.code, 0)
  }
})

t.test('--http that is neither a path nor [HOST:]PORT is a usage error', async (t) => {
  for (const bad of ['localhost', 'host:', ':80', '70000', 'a:b:80', '[::1]80']) {
    const r = await runMain(['daemon', '--http', bad])
    t.equal(r.code, 2, bad)
    t.match(r.stderr, new RegExp(`--http must be a socket path \\(containing a '/'\\) or \\[HOST:\\]PORT, got '${bad.replace(/[[\]]/g, '\\$&')}'`), bad)
  }
})

t.test('buildDaemon({ http }) adds the HTTP listener; injectHttp reaches it without a socket', async (t) => {
  const app = buildDaemon({ demo: true, logLevel: 'silent', http: { port: 0 } })
  t.teardown(() => app.close())
  const r = await app.injectHttp({ method: 'POST', url: '/', payload: { jsonrpc: '2.0', id: 1, method: 'add', params: { a: 1, b: 2 } } })
  t.same(r.json(), { jsonrpc: '2.0', id: 1, result: 3 })
  t.match(app.addresses(), [/^http:\/\/127\.0\.0\.1:\d+$/])
})
