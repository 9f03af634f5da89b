import { spawn } from 'node:child_process'
import { chmodSync, cpSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync, existsSync } from 'node:fs'
import net from 'node:net'
import { dirname, join, relative } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t, { type Test } from 'tap'
import linefy, { unix, type LinefyInstance } from '../index.js'
import { deferred, tempDir, waitFor } from './helpers/util.js'
import { runFixture } from './helpers/process.js'
import { connect, connectError, Lines } from './helpers/wire.js'

function app (t: Test): LinefyInstance {
  const a = linefy()
  a.method('echo', async (req) => req.params)
  t.teardown(() => a.close())
  return a
}

/** A socket file nobody listens on, as a daemon killed with SIGKILL leaves behind. */
async function staleSocket (path: string): Promise<void> {
  const tmp = path + '.b'
  const s = net.createServer().listen(tmp)
  await waitFor(s, 'listening')
  linkSync(tmp, path)
  await new Promise((resolve) => s.close(resolve))
}

const mode = (p: string): number => lstatSync(p).mode & 0o777

t.test('listen({ path }) creates the directory 0700, binds 0600, serves, and unlinks at close', async (t) => {
  const dir = join(tempDir(t), 'run', 'linefy')
  const path = join(dir, 'd.sock')
  const a = app(t)
  await a.listen({ path })
  t.equal(mode(dir), 0o700)
  t.equal(mode(join(dir, '..')), 0o700, 'intermediate directories too')
  t.ok(lstatSync(path).isSocket())
  t.equal(mode(path), 0o600)
  t.same(a.addresses(), [path])
  const c = await connect(path, t)
  t.same(await c.call('echo', { a: 1 }, 1), { jsonrpc: '2.0', id: 1, result: { a: 1 } })
  await a.close()
  t.notOk(existsSync(path), 'socket file removed')
  t.same(a.addresses(), [])
})

t.test('the plugin form boots with ready(), after every onReady hook', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const a = app(t)
  let seenAtOnReady: boolean | null = null
  a.register(unix, { path })
  a.addHook('onReady', async () => { seenAtOnReady = existsSync(path) })
  await a.ready()
  t.equal(seenAtOnReady, false, 'no client can reach a daemon still booting')
  const c = await connect(path, t)
  t.same((await c.call('echo', ['x'])).result, ['x'])
})

t.test('listen() after ready() starts the transport at once', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const a = app(t)
  await a.ready()
  await a.listen({ path })
  const c = await connect(path, t)
  t.same((await c.call('echo', [2])).result, [2])
  await a.close()
  t.notOk(existsSync(path))
})

t.test('mode is configurable, and the umask is restored', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const before = process.umask()
  await app(t).listen({ path, mode: 0o660 })
  t.equal(mode(path), 0o660)
  t.equal(process.umask(), before)
})

t.test('a relative path is resolved once, so close finds the file after a chdir', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'd.sock')
  const a = app(t)
  await a.listen({ path: relative(process.cwd(), path) })
  t.same(a.addresses(), [path])
  await a.close()
  t.notOk(existsSync(path))
})

t.test('a live daemon on the path: refuse with LINEFY_ERR_ADDR_IN_USE, its socket untouched', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const first = app(t)
  await first.listen({ path })
  const inode = lstatSync(path).ino
  const second = app(t)
  await t.rejects(second.listen({ path }), { code: 'LINEFY_ERR_ADDR_IN_USE', message: new RegExp(path) })
  t.equal(lstatSync(path).ino, inode)
  const c = await connect(path, t)
  t.same((await c.call('echo', ['still here'])).result, ['still here'])
  await second.close()
  t.ok(existsSync(path), 'closing the refused app does not remove the live socket')
})

t.test('two daemons starting at once on one path: exactly one wins', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const results = await Promise.allSettled([app(t).listen({ path }), app(t).listen({ path })])
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
  const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
  t.equal(lost.reason.code, 'LINEFY_ERR_ADDR_IN_USE')
  t.same((await (await connect(path, t)).call('echo', [1])).result, [1])
})

t.test('a stale socket (nobody answers) is removed and replaced', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  await staleSocket(path)
  // a second name keeps the stale inode alive, so its number cannot be reused
  linkSync(path, path + '.keep')
  await app(t).listen({ path })
  t.not(lstatSync(path).ino, lstatSync(path + '.keep').ino)
  t.same((await (await connect(path, t)).call('echo', ['fresh'])).result, ['fresh'])
})

t.test('refuses, and deletes nothing, when the path is not a socket', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'd.sock')
  writeFileSync(path, 'precious')
  await t.rejects(app(t).listen({ path }), { code: 'LINEFY_ERR_UNSAFE_PATH', message: /not a socket/ })
  t.equal(readFileSync(path, 'utf8'), 'precious')
})

t.test('never follows a symlink at the path, even to a stale socket', async (t) => {
  const dir = tempDir(t)
  const target = join(dir, 'real.sock')
  await staleSocket(target)
  const path = join(dir, 'd.sock')
  symlinkSync(target, path)
  await t.rejects(app(t).listen({ path }), { code: 'LINEFY_ERR_UNSAFE_PATH', message: /symlink/ })
  t.ok(lstatSync(target).isSocket(), 'the target is untouched')
  t.ok(lstatSync(path).isSymbolicLink(), 'the link is untouched')
})

t.test('refuses a symlinked parent directory', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'real'))
  symlinkSync(join(dir, 'real'), join(dir, 'link'))
  await t.rejects(app(t).listen({ path: join(dir, 'link', 'd.sock') }), { code: 'LINEFY_ERR_UNSAFE_PATH', message: /symlink/ })
  t.notOk(existsSync(join(dir, 'real', 'd.sock')))
})

t.test('refuses a parent that is not a directory', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'file'), '')
  await t.rejects(app(t).listen({ path: join(dir, 'file', 'd.sock') }), { code: 'LINEFY_ERR_UNSAFE_PATH', message: /not a directory/ })
  await t.rejects(app(t).listen({ path: join(dir, 'file', 'sub', 'd.sock') }), { code: 'LINEFY_ERR_LISTEN', message: /ENOTDIR/ })
})

t.test('a path over the sun_path limit is refused instead of silently truncated', async (t) => {
  const path = join(tempDir(t), 'x'.repeat(120) + '.sock')
  await t.rejects(app(t).listen({ path }), { code: 'LINEFY_ERR_SOCKET_PATH_TOO_LONG' })
  t.notOk(existsSync(path))
})

t.test('close leaves alone a file that replaced our socket', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'd.sock')
  const a = app(t)
  await a.listen({ path })
  renameSync(path, join(dir, 'moved.sock'))
  writeFileSync(path, 'someone else')
  await a.close()
  t.equal(readFileSync(path, 'utf8'), 'someone else')
  t.ok(existsSync(join(dir, 'moved.sock')), 'not ours to remove by another name either')
  unlinkSync(join(dir, 'moved.sock'))
})

t.test('a new connect is refused once close begins', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  const a = app(t)
  const started = deferred()
  const release = deferred()
  a.method('hold', async () => { started.resolve(); await release.promise })
  await a.listen({ path })
  const c = await connect(path, t)
  c.send({ jsonrpc: '2.0', id: 1, method: 'hold' })
  await started.promise
  const closing = a.close()
  t.equal((await connectError(path))?.code, 'ECONNREFUSED')
  release.resolve()
  t.same(await c.lines.next(), { jsonrpc: '2.0', id: 1, result: null })
  await closing
})

t.test('option errors', async (t) => {
  await t.rejects(linefy().register(unix, { path: '' }).ready(), { code: 'LINEFY_ERR_INVALID_OPTION' })
  await t.rejects(linefy().register(unix, { path: '/tmp/x.sock', mode: 0o1000 }).ready(), { code: 'LINEFY_ERR_INVALID_OPTION' })
  await t.rejects(linefy().listen(), { code: 'LINEFY_ERR_NO_LISTEN_TARGET' })
  await t.rejects(linefy().listen({ path: '/tmp/x.sock', port: 1 }), { code: 'LINEFY_ERR_INVALID_OPTION' })
  const closed = linefy()
  await closed.close()
  await t.rejects(closed.listen({ path: '/tmp/x.sock' }), { code: 'LINEFY_ERR_CLOSED' })
})

t.test('a stopped daemon whose backlog is full still counts as live: its socket is kept', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'd.sock')
  const daemon = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path })])
  await daemon.stderr.find((m) => m.ready === true)
  daemon.proc.kill('SIGSTOP')
  t.teardown(() => { daemon.proc.kill('SIGCONT') })
  // the kernel completes connects until the listen backlog is full, then says EAGAIN
  const pending: net.Socket[] = []
  t.teardown(() => { for (const s of pending) s.destroy() })
  let err: NodeJS.ErrnoException | null = null
  for (let i = 0; i < 5000 && err === null; i++) {
    const s = net.connect(path)
    pending.push(s)
    err = await new Promise((resolve) => { s.once('connect', () => resolve(null)); s.once('error', resolve) })
  }
  t.equal(err?.code, 'EAGAIN', `the backlog filled after ${pending.length} connects`)
  await t.rejects(app(t).listen({ path }), { code: 'LINEFY_ERR_ADDR_IN_USE' })
  t.ok(lstatSync(path).isSocket(), 'the stopped daemon keeps its socket')
  for (const s of pending) s.destroy()
  daemon.proc.kill('SIGCONT')
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exit(), { code: 0, signal: null })
})

// What an ordinary user runs to probe a socket: the socket-file module, copied
// where that user can read it, and node's own modules. A checkout under a
// 0700 directory (a private home, a mktemp -d) is closed to that user, and
// the module needs nothing from node_modules.
const probeAsOtherUser = `
const [moduleUrl, path] = process.argv.slice(1)
const { clearStale } = await import(moduleUrl)
try {
  await clearStale(path)
  console.log(JSON.stringify({ cleared: true }))
} catch (err) {
  console.log(JSON.stringify({ error: err.code, message: err.message }))
}`

/** The first directory from / down to `dir` that other users cannot enter, or null. */
function closedToOthers (dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return d
    if (d === dirname(d)) return null
  }
}

t.test('a socket this user may not connect to is refused, never removed', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'd.sock')
  await staleSocket(path)
  chmodSync(path, 0o000)
  if (process.getuid?.() !== 0) {
    await t.rejects(app(t).listen({ path }), { code: 'LINEFY_ERR_UNSAFE_PATH', message: /EACCES.*remove it by hand/ })
    t.ok(lstatSync(path).isSocket(), 'still there')
    return
  }
  // root may connect anywhere: probe as an ordinary user instead
  chmodSync(dir, 0o755)
  const closed = closedToOthers(dir)
  if (closed !== null) {
    t.plan(0, `no other user can reach ${dir}: ${closed} is closed to others (TMPDIR inside a private directory?)`)
    return
  }
  const lib = join(dir, 'lib')
  cpSync(fileURLToPath(new URL('../dist/src/', import.meta.url)), lib, { recursive: true })
  // tap adds its coverage hook, which lives in the checkout, to every child's
  // NODE_OPTIONS, whatever env it is given: a shell drops it before node starts
  const node = [process.execPath, '--input-type=module', '-e', probeAsOtherUser, pathToFileURL(join(lib, 'transport', 'socket-file.js')).href, path]
  const child = spawn('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', ...node], {
    uid: 65534, gid: 65534, cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'inherit']
  })
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null))
    child.once('error', resolve)
  })
  if (spawned !== null) {
    t.plan(0, `cannot run a process as uid 65534 here (${spawned.message})`)
    return
  }
  const out = new Lines(child.stdout as Readable)
  t.match(await out.next(), { error: 'LINEFY_ERR_UNSAFE_PATH', message: /EACCES.*remove it by hand/ })
  t.same(await waitFor(child, 'exit', 'the probe to exit'), [0, null])
  t.ok(lstatSync(path).isSocket(), 'still there')
})
