import { existsSync, linkSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import t from 'tap'
import linefy from '../index.js'
import { connect } from '../client.js'
import { socketPath } from '../src/daemon/daemon.js'
import { usage } from '../src/cli/main.js'
import { poll, tempDir, tempSocket } from './helpers/util.js'
import { listening, runCli, runMain, runMainLive, serveDaemon, startCli, startDaemon } from './helpers/process.js'
import { serveOn } from './helpers/wire.js'

const notRunning = (path: string) =>
  `linefy: no daemon is listening on ${path}: start one with \`linefy daemon\`, or pass --socket with the path it listens on\n`

t.test('the socket path: --socket, else IAI_DAEMON_SOCKET_PATH, else ~/.iai-mcp/.daemon.sock', async (t) => {
  t.equal(socketPath('/x/flag.sock', { IAI_DAEMON_SOCKET_PATH: '/x/env.sock' }), '/x/flag.sock')
  t.equal(socketPath(undefined, { IAI_DAEMON_SOCKET_PATH: '/x/env.sock' }), '/x/env.sock')
  t.equal(socketPath(undefined, { IAI_DAEMON_SOCKET_PATH: '' }), join(homedir(), '.iai-mcp', '.daemon.sock'))
  t.equal(socketPath('', {}), join(homedir(), '.iai-mcp', '.daemon.sock'))
})

t.test('--help prints the usage on stdout; no command prints it on stderr and exits 2', async (t) => {
  for (const argv of [['--help'], ['-h'], ['help'], ['call', '--help'], ['daemon', '-h']]) {
    const r = await runMain(argv)
    t.same([r.code, r.stdout, r.stderr], [0, usage, ''], argv.join(' '))
  }
  const r = await runMain([])
  t.same([r.code, r.stdout, r.stderr], [2, '', usage])
})

t.test('usage errors are one line and exit 2', async (t) => {
  const cases: Array<[string[], string]> = [
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['toString'], "unknown command 'toString'"],
    [['call', '--bogus', 'x'], "Unknown option '--bogus'"],
    [['call'], 'missing METHOD'],
    [['call', 'echo', '{}', 'extra'], "unexpected argument 'extra'"],
    [['call', 'echo', '{oops'], 'PARAMS_JSON is not valid JSON'],
    [['control'], 'missing TYPE'],
    [['control', 'status', '[1]'], 'FIELDS_JSON must be a JSON object'],
    [['control', 'status', 'null'], 'FIELDS_JSON must be a JSON object'],
    [['control', 'status', '7'], 'FIELDS_JSON must be a JSON object'],
    [['daemon', 'now'], "unexpected argument 'now'"],
    [['daemon', '--concurrency', 'many'], "--concurrency must be a positive whole number, got 'many'"],
    [['daemon', '--max-line-bytes=-5'], "--max-line-bytes must be a positive whole number, got '-5'"],
    [['daemon', '--max-line-bytes', '-5'], "Option '--max-line-bytes' argument is ambiguous. Did you forget"],
    [['call', '--timeout', '0', 'echo', '--socket', '/nonexistent/d.sock'], "--timeout must be a positive whole number, got '0'"],
    [['control', '--timeout', 'x', 'status'], "--timeout must be a positive whole number, got 'x'"],
    [['daemon', '--log-level', 'loud'], "--log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'"],
    [['bridge', 'x'], "unexpected argument 'x'"],
    [['bridge', '--wait', '5s'], "--wait must be a whole number of milliseconds, got '5s'"],
    [['daemon', '--state-file', ''], '--state-file must be a path']
  ]
  for (const [argv, message] of cases) {
    const r = await runMain(argv)
    t.equal(r.code, 2, argv.join(' '))
    t.equal(r.stdout, '')
    t.match(r.stderr, new RegExp('^linefy: .*' + message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '.*: run `linefy --help` for usage\n$'), argv.join(' '))
  }
})

t.test('call prints the result as JSON and exits 0', async (t) => {
  const path = await serveDaemon(t)
  t.match(await runMain(['call', '--socket', path, 'add', '{"a":2,"b":3}']), { code: 0, stdout: '5\n', stderr: '' })
  t.match(await runMain(['call', '--socket', path, 'echo']), { code: 0, stdout: '{}\n' })
  t.match(await runMain(['call', 'echo', '["env"]'], { IAI_DAEMON_SOCKET_PATH: path }), { code: 0, stdout: '["env"]\n' }, 'path from the environment')
})

t.test('call prints the error and exits 1', async (t) => {
  const path = tempSocket(t)
  const app = linefy({ compat: 'seed' })
  app.method('quota', () => { throw Object.assign(new Error('over quota'), { code: -32010, data: { left: 0 } }) })
  await serveOn(t, app, path)
  t.match(await runMain(['call', '--socket', path, 'nope']), { code: 1, stdout: '', stderr: "linefy: error -32601: unknown method 'nope'\n" })
  t.match(await runMain(['call', '--socket', path, 'quota']), { code: 1, stderr: 'linefy: error -32010: over quota {"left":0}\n' })
})

t.test('call --timeout gives up with -32003', async (t) => {
  const path = await serveDaemon(t)
  t.match(await runMain(['call', '--socket', path, '--timeout', '20', 'sleep', '{"ms":60000}']), {
    code: 1, stdout: '', stderr: 'linefy: error -32003: request timed out after 20 ms\n'
  })
})

t.test('control sends a control line and prints the reply', async (t) => {
  const path = await serveDaemon(t)
  t.match(await runMain(['control', '--socket', path, 'pause']), { code: 0, stdout: '{"ok":true,"paused":true}\n' })
  const status = await runMain(['control', '--socket', path, 'status'])
  t.match(JSON.parse(status.stdout), { ok: true, state: 'WAKE', scheduler_paused: true })
  t.match(await runMain(['control', '--socket', path, 'session_open', '{"session_id":"cli-1"}']), { code: 0, stdout: '{"ok":true,"reason":"session_open_queued"}\n' })
  t.match(await runMain(['control', '--socket', path, 'force_wake', '{"ts":1}']), { code: 0, stdout: '{"ok":false,"reason":"invalid_message","error":"ts must be a string"}\n' })
  t.match(await runMain(['control', '--socket', path, 'reboot']), { code: 1, stderr: "linefy: error -32600: unknown control type 'reboot'\n" })
})

t.test('a daemon that is not running gives a one-line hint, not a stack', async (t) => {
  const path = tempSocket(t)
  for (const verb of ['call', 'control']) {
    t.match(await runMain([verb, '--socket', path, 'status']), { code: 1, stdout: '', stderr: notRunning(path) }, verb)
  }
  t.match(await runMain(['call', '--socket', '/etc/passwd/x.sock', 'status']), { code: 1, stderr: /^linefy: connect ENOTDIR \/etc\/passwd\/x.sock\n$/ })
})

t.test('the real CLI: call over a real socket', async (t) => {
  const path = await serveDaemon(t)
  t.same(await runCli(t, ['call', '--socket', path, 'add', '{"a":1,"b":41}']), { code: 0, signal: null, stdout: '42\n', stderr: '' })
  t.same(await runCli(t, ['call', '--socket', path, 'fail', '{"message":"boom"}']), { code: 1, signal: null, stdout: '', stderr: 'linefy: error -32001: boom\n' })
  t.same(await runCli(t, ['call', 'sleep', '{"ms":1}'], { IAI_DAEMON_SOCKET_PATH: path }), { code: 0, signal: null, stdout: '{"slept":1}\n', stderr: '' })
})

t.test('the real CLI: not running gives the hint and exit 1', async (t) => {
  const path = tempSocket(t)
  t.same(await runCli(t, ['call', '--socket', path, 'echo']), { code: 1, signal: null, stdout: '', stderr: notRunning(path) })
})

t.test('the real CLI: bridge relays a session and exits 0 at EOF', async (t) => {
  const path = await serveDaemon(t)
  const r = await runCli(t, ['bridge', '--socket', path], {}, '{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":2}}\n{"type":"force_rem"}\n')
  t.same(r, { code: 0, signal: null, stdout: '{"jsonrpc":"2.0","id":1,"result":3}\n{"ok":true,"reason":"rem_queued"}\n', stderr: '' })
})

// the daemon verb

t.test('the real CLI: daemon start, call, SIGTERM: exit 0 and the socket file is gone', async (t) => {
  const path = join(tempDir(t), 'run', 'd.sock')
  const daemon = await startDaemon(t, path)
  t.equal(statSync(path).mode & 0o777, 0o600, 'socket is 0600')
  t.equal(statSync(dirname(path)).mode & 0o777, 0o700, 'a missing parent directory is created 0700')
  t.same(await runCli(t, ['call', '--socket', path, 'add', '{"a":20,"b":22}']), { code: 0, signal: null, stdout: '42\n', stderr: '' })
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exited, { code: 0, signal: null })
  t.equal(existsSync(path), false)
  t.ok(daemon.stderr.all.every((l) => l.startsWith('{')), 'stderr carries only log records')
  t.same(daemon.stdout.all, [], 'nothing on stdout')
})

t.test('the real CLI: SIGINT stops it the same way', async (t) => {
  const path = tempSocket(t)
  const daemon = await startDaemon(t, path)
  daemon.proc.kill('SIGINT')
  t.same(await daemon.exited, { code: 0, signal: null })
  t.equal(existsSync(path), false)
})

t.test('the real CLI: SIGTERM lets a request in flight finish and answers it', async (t) => {
  const path = tempSocket(t)
  const daemon = await startDaemon(t, path)
  const client = await connect(path)
  const slow = client.call('sleep', { ms: 300 })
  const probe = await connect(path)
  await poll(async () => (await probe.control('status')).in_flight === 1)
  await probe.close()
  daemon.proc.kill('SIGTERM')
  t.same(await slow, { slept: 300 })
  t.same(await daemon.exited, { code: 0, signal: null })
})

t.test('the real CLI: a live daemon on the path makes a second one exit 1 with one line', async (t) => {
  const path = tempSocket(t)
  await startDaemon(t, path)
  const second = await runCli(t, ['daemon', '--socket', path])
  t.equal(second.code, 1)
  t.equal(second.stdout, '')
  t.equal(second.stderr, `linefy: another daemon is already listening on ${path}: stop it first or choose another path\n`)
  t.same(await runCli(t, ['call', '--socket', path, 'echo', '[1]']), { code: 0, signal: null, stdout: '[1]\n', stderr: '' }, 'the first one still serves')
})

t.test('the real CLI: a socket file left by a crash is replaced', async (t) => {
  const path = tempSocket(t)
  const crashed = await startDaemon(t, path)
  crashed.proc.kill('SIGKILL')
  await crashed.exited
  t.ok(existsSync(path), 'the crash left its socket file')
  await startDaemon(t, path)
  t.same(await runCli(t, ['call', '--socket', path, 'add', '{"a":1,"b":1}']), { code: 0, signal: null, stdout: '2\n', stderr: '' })
})

t.test('the real CLI: the socket path comes from IAI_DAEMON_SOCKET_PATH for every verb', async (t) => {
  const path = tempSocket(t)
  const env = { IAI_DAEMON_SOCKET_PATH: path }
  const daemon = startCli(t, ['daemon', '--demo'], env)
  await daemon.stderr.match(listening)
  t.same(await runCli(t, ['call', 'echo', '{"via":"env"}'], env), { code: 0, signal: null, stdout: '{"via":"env"}\n', stderr: '' })
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exited, { code: 0, signal: null })
})

t.test('the real CLI: --stdio serves stdin/stdout and ends cleanly at EOF', async (t) => {
  const r = await runCli(t, ['daemon', '--stdio', '--demo'], {}, '{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":20}}\nnot json\n{"type":"force_rem"}\n')
  t.equal(r.code, 0)
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
  t.same(lines[0], { jsonrpc: '2.0', id: 1, result: { slept: 20 } })
  t.match(lines[1], { id: null, error: { code: -32700 } })
  t.same(lines[2], { ok: true, reason: 'rem_queued' })
  t.ok(r.stderr.split('\n').filter(Boolean).every((l) => l.startsWith('{')), 'logs stay on stderr')
})

t.test('the real CLI: the bridge answers -32002 for requests in flight when the daemon dies', async (t) => {
  const path = tempSocket(t)
  const daemon = await startDaemon(t, path)
  const bridge = startCli(t, ['bridge', '--socket', path])
  bridge.proc.stdin?.write('{"jsonrpc":"2.0","id":0,"method":"echo"}\n')
  await bridge.stdout.count(1)
  bridge.proc.stdin?.write('{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":60000}}\n{"jsonrpc":"2.0","id":"b","method":"add","params":{"a":1,"b":1}}\n')
  const probe = await connect(path)
  await poll(async () => (await probe.control('status')).in_flight === 1)
  daemon.proc.kill('SIGKILL')
  const { code } = await bridge.exited
  t.equal(code, 1)
  const lost = { code: -32002, message: 'transport lost: the daemon closed the connection before replying' }
  t.same(bridge.stdout.all.map((l) => JSON.parse(l)), [
    { jsonrpc: '2.0', id: 0, result: {} },
    { jsonrpc: '2.0', id: 1, error: lost },
    { jsonrpc: '2.0', id: 'b', error: lost }
  ])
  t.same(bridge.stderr.all, ['linefy: the daemon closed the connection; 2 request(s) in flight were answered -32002'])
})

t.test('the real CLI: socket activation serves the inherited fd 3 and leaves the path alone', async (t) => {
  const path = tempSocket(t)
  // bind a second name and link the real one to it: closing this process's
  // copy (libuv unlinks the name it bound) then leaves `path` in place, as
  // a systemd .socket unit would
  const listener = createServer()
  await new Promise<void>((resolve) => listener.listen(path + '.m', resolve))
  linkSync(path + '.m', path)
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd
  // LISTEN_PID must be the daemon's own pid: the shell execs node in its place
  const daemon = startCli(t, ['daemon', '--demo', '--socket', `${path}.unused`], { LISTEN_FDS: '1' }, {
    ownListenPid: true,
    stdio: ['ignore', 'pipe', 'pipe', fd]
  })
  await new Promise<void>((resolve) => listener.close(() => resolve()))
  await daemon.stderr.match(listening)
  t.same(await runCli(t, ['call', '--socket', path, 'add', '{"a":3,"b":4}']), { code: 0, signal: null, stdout: '7\n', stderr: '' })
  t.equal(existsSync(`${path}.unused`), false, 'the --socket path is not created')
  daemon.proc.kill('SIGTERM')
  t.equal((await daemon.exited).code, 0)
  t.ok(existsSync(path), 'the socket file is the manager\'s: not unlinked')
})

t.test('daemon in-process: listening, then a signal closes it and main returns 0', async (t) => {
  const path = tempSocket(t)
  const r = runMainLive(['daemon', '--socket', path, '--demo'])
  await r.stderr.match(listening)
  const client = await connect(path)
  t.equal(await client.call('add', { a: 1, b: 2 }), 3)
  await client.close()
  r.io.signals.emit('SIGTERM', 'SIGTERM')
  t.equal(await r.code, 0)
  t.match(r.stderr.all.join('\n'), /"signal":"SIGTERM".*"msg":"shutting down"/)
  t.equal(existsSync(path), false)
})

t.test('daemon in-process: --stdio serves io.stdin/io.stdout and returns 0 at EOF', async (t) => {
  const r = runMainLive(['daemon', '--stdio', '--demo', '--log-level', 'silent'])
  r.io.stdin.end('{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":2}}\n{"type":"pause"}\n')
  t.equal(await r.code, 0)
  t.same(r.stdout.all, ['{"jsonrpc":"2.0","id":1,"result":3}', '{"ok":true,"paused":true}'])
  t.same(r.stderr.all, [])
})

t.test('daemon in-process: --max-line-bytes refuses longer lines and keeps serving', async (t) => {
  const r = runMainLive(['daemon', '--stdio', '--demo', '--max-line-bytes', '64', '--log-level', 'silent'])
  r.io.stdin.end(`{"jsonrpc":"2.0","id":1,"method":"echo","params":["${'x'.repeat(64)}"]}\n{"jsonrpc":"2.0","id":2,"method":"echo"}\n`)
  t.equal(await r.code, 0)
  t.match(JSON.parse(r.stdout.all[0] as string), { id: null, error: { code: -32600, message: /exceeds maxLineBytes \(64 bytes\)/ } })
  t.same(JSON.parse(r.stdout.all[1] as string), { jsonrpc: '2.0', id: 2, result: {} })
})

t.test('daemon in-process: --concurrency bounds the handlers running at once', async (t) => {
  const path = tempSocket(t)
  const r = runMainLive(['daemon', '--socket', path, '--demo', '--concurrency', '1', '--log-level', 'info'])
  await r.stderr.match(listening)
  const [a, b, probe] = await Promise.all([connect(path), connect(path), connect(path)])
  const slow = [a.call('sleep', { ms: 100 }), b.call('sleep', { ms: 100 })]
  // with two handlers allowed at once, queued would never reach 1 and this would throw
  await poll(async () => {
    const status = await probe.control('status')
    return status.in_flight === 1 && status.queued === 1
  })
  t.same(await Promise.all(slow), [{ slept: 100 }, { slept: 100 }])
  await Promise.all([a.close(), b.close(), probe.close()])
  r.io.signals.emit('SIGINT', 'SIGINT')
  t.equal(await r.code, 0)
})

t.test('daemon in-process: a live daemon on the path is one line and exit 1', async (t) => {
  const path = await serveDaemon(t)
  const r = runMainLive(['daemon', '--socket', path, '--log-level', 'warn'])
  t.equal(await r.code, 1)
  t.same(r.stderr.all, [`linefy: another daemon is already listening on ${path}: stop it first or choose another path`])
})

t.test('the real CLI: --state-file keeps the control state across a restart', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'd.sock')
  const file = join(dir, 'state', 'daemon-state.json')
  const first = await startDaemon(t, path, ['--state-file', file])
  t.same(await runCli(t, ['control', '--socket', path, 'pause', '{"seconds":3600}']), { code: 0, signal: null, stdout: '{"ok":true,"paused":true}\n', stderr: '' })
  t.same(await runCli(t, ['control', '--socket', path, 'session_open', '{"session_id":"s-1","ts":"2026-05-02T10:00:00+00:00"}']), { code: 0, signal: null, stdout: '{"ok":true,"reason":"session_open_queued"}\n', stderr: '' })
  first.proc.kill('SIGTERM')
  t.same(await first.exited, { code: 0, signal: null })
  t.match(JSON.parse(readFileSync(file, 'utf8')), { scheduler_paused: true, first_turn_pending: { 's-1': String } })
  await startDaemon(t, path, ['--state-file', file])
  const status = await runCli(t, ['control', '--socket', path, 'status'])
  t.match(JSON.parse(status.stdout), { ok: true, state: 'WAKE', scheduler_paused: true, pending: ['session_open'] })
})

t.test('daemon in-process: a --state-file that cannot be used is one line and exit 1', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'file'), 'x')
  const file = join(dir, 'file', 'state.json')
  const r = runMainLive(['daemon', '--socket', join(dir, 'd.sock'), '--state-file', file, '--log-level', 'warn'])
  t.equal(await r.code, 1)
  t.match(r.stderr.all, [new RegExp(`^linefy: control state file ${file}: ENOTDIR: .+: make sure its directory can be created and written by this user, or pass another --state-file$`)])
  t.equal(r.stderr.all.length, 1)
  t.equal(existsSync(join(dir, 'd.sock')), false, 'nothing was bound')
})

t.test('the real CLI: a bridge started before its daemon waits for it (--wait, default 5000 ms) and relays once it accepts', async (t) => {
  const path = tempSocket(t)
  const bridge = startCli(t, ['bridge', '--socket', path])
  bridge.proc.stdin?.write('{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":20,"b":22}}\n')
  // the daemon starts once the bridge has tried and begun to wait
  await bridge.stderr.match(/^linefy: no daemon on .* yet: waiting up to 5000 ms for one$/)
  const daemon = await startDaemon(t, path)
  t.same(JSON.parse((await bridge.stdout.count(1))[0] as string), { jsonrpc: '2.0', id: 1, result: 42 })
  bridge.proc.stdin?.end()
  t.same(await bridge.exited, { code: 0, signal: null })
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exited, { code: 0, signal: null })
})
