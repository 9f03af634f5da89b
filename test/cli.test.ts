import { homedir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import linefy from '../index.js'
import { socketPath, buildDaemon } from '../src/daemon.js'
import { usage } from '../src/cli.js'
import { serveOn, tempSocket } from './helpers/daemon-kit.js'
import { run, runMain } from './helpers/cli-kit.js'

async function daemon (t: Test): Promise<string> {
  const path = tempSocket(t)
  await serveOn(t, buildDaemon({ demo: true, logLevel: 'silent' }), path)
  return path
}

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
    [['bridge', 'x'], "unexpected argument 'x'"]
  ]
  for (const [argv, message] of cases) {
    const r = await runMain(argv)
    t.equal(r.code, 2, argv.join(' '))
    t.equal(r.stdout, '')
    t.match(r.stderr, new RegExp('^linefy: .*' + message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '.*: run `linefy --help` for usage\n$'), argv.join(' '))
  }
})

t.test('call prints the result as JSON and exits 0', async (t) => {
  const path = await daemon(t)
  t.match(await runMain(['call', '--socket', path, 'add', '{"a":2,"b":3}']), { code: 0, stdout: '5\n', stderr: '' })
  t.match(await runMain(['call', '--socket', path, 'echo']), { code: 0, stdout: 'null\n' })
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
  const path = await daemon(t)
  t.match(await runMain(['call', '--socket', path, '--timeout', '20', 'sleep', '{"ms":60000}']), {
    code: 1, stdout: '', stderr: 'linefy: error -32003: request timed out after 20 ms\n'
  })
})

t.test('control sends a control line and prints the reply', async (t) => {
  const path = await daemon(t)
  t.match(await runMain(['control', '--socket', path, 'pause']), { code: 0, stdout: '{"ok":true,"state":"paused","previous":"wake"}\n' })
  const status = await runMain(['control', '--socket', path, 'status'])
  t.match(JSON.parse(status.stdout), { ok: true, state: 'paused' })
  t.match(await runMain(['control', '--socket', path, 'session_open', '{"client":"cli"}']), { code: 0, stdout: /"session_id":"[0-9a-f-]{36}"/ })
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
  const path = await daemon(t)
  t.same(await run(t, ['call', '--socket', path, 'add', '{"a":1,"b":41}']), { code: 0, signal: null, stdout: '42\n', stderr: '' })
  t.same(await run(t, ['call', '--socket', path, 'fail', '{"message":"boom"}']), { code: 1, signal: null, stdout: '', stderr: 'linefy: error -32001: boom\n' })
  t.same(await run(t, ['call', 'sleep', '{"ms":1}'], { IAI_DAEMON_SOCKET_PATH: path }), { code: 0, signal: null, stdout: '{"slept":1}\n', stderr: '' })
})

t.test('the real CLI: not running gives the hint and exit 1', async (t) => {
  const path = tempSocket(t)
  t.same(await run(t, ['call', '--socket', path, 'echo']), { code: 1, signal: null, stdout: '', stderr: notRunning(path) })
})

t.test('the real CLI: bridge relays a session and exits 0 at EOF', async (t) => {
  const path = await daemon(t)
  const r = await run(t, ['bridge', '--socket', path], {}, '{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":2}}\n{"type":"force_rem"}\n')
  t.same(r, { code: 0, signal: null, stdout: '{"jsonrpc":"2.0","id":1,"result":3}\n{"ok":true,"state":"rem","previous":"wake"}\n', stderr: '' })
})
