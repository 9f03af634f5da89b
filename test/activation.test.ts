import { chmodSync, closeSync, existsSync, linkSync, lstatSync, openSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import linefy, { activation, activationFds, fd as fdTransport } from '../index.js'
import { tempDir, waitFor } from './helpers/util.js'
import { runFixture, type Child } from './helpers/process.js'
import { connect } from './helpers/wire.js'

/**
 * A bound, listening unix socket as systemd's .socket unit holds it. This
 * process binds a second name and links `path` to it, so that closing its
 * own copy (libuv unlinks the name it bound) leaves `path` in place.
 */
async function managerSocket (path: string): Promise<{ fd: number, release: () => Promise<void> }> {
  const server = net.createServer().listen(path + '.m')
  await waitFor(server, 'listening')
  linkSync(path + '.m', path)
  chmodSync(path, 0o640)
  return {
    fd: (server as unknown as { _handle: { fd: number } })._handle.fd,
    // the child has its own copy once spawned: stop accepting here so only the child serves
    release: () => new Promise((resolve) => server.close(() => resolve()))
  }
}

function env (vars: Record<string, string>): NodeJS.ProcessEnv {
  const e = { ...process.env, ...vars }
  delete e.NODE_OPTIONS
  return e
}

async function ready (child: Child): Promise<any> {
  return await child.stderr.find((m) => m.ready === true || m.error !== undefined)
}

t.test('activationFds: only for this pid, a count >= 1, names when they match the count', async (t) => {
  const pid = 4242
  t.same(activationFds({}, pid), [], 'nothing set')
  t.same(activationFds({ LISTEN_FDS: '1' }, pid), [], 'no LISTEN_PID')
  t.same(activationFds({ LISTEN_PID: '4242' }, pid), [], 'no LISTEN_FDS')
  t.same(activationFds({ LISTEN_PID: '4241', LISTEN_FDS: '1' }, pid), [], 'another process')
  for (const garbage of [' 4242', '04242', '4242.0', '+4242', '']) {
    t.same(activationFds({ LISTEN_PID: garbage, LISTEN_FDS: '1' }, pid), [], `LISTEN_PID ${JSON.stringify(garbage)}`)
  }
  for (const garbage of ['0', '-1', '1.5', 'abc', '', ' 1', '01', '999999']) {
    t.same(activationFds({ LISTEN_PID: '4242', LISTEN_FDS: garbage }, pid), [], `LISTEN_FDS ${JSON.stringify(garbage)}`)
  }
  t.same(activationFds({ LISTEN_PID: '4242', LISTEN_FDS: '1' }, pid), [{ fd: 3, name: 'unknown' }])
  t.same(activationFds({ LISTEN_PID: '4242', LISTEN_FDS: '2', LISTEN_FDNAMES: 'control:events' }, pid), [{ fd: 3, name: 'control' }, { fd: 4, name: 'events' }])
  t.same(activationFds({ LISTEN_PID: '4242', LISTEN_FDS: '2', LISTEN_FDNAMES: 'control' }, pid), [], 'names that do not match the count')
})

t.test('a daemon started with fd 3 serves it and never touches the socket file', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'demo.sock')
  const manager = await managerSocket(path)
  const inode = lstatSync(path).ino
  const daemon = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path: join(dir, 'unused', 'x.sock') })], {
    ownListenPid: true,
    env: env({ LISTEN_FDS: '1', LISTEN_FDNAMES: 'demo' }),
    stdio: ['pipe', 'pipe', 'pipe', manager.fd]
  })
  await manager.release()
  const up = await ready(daemon)
  t.same(up.env, { LISTEN_PID: null, LISTEN_FDS: null, LISTEN_FDNAMES: null }, 'the variables are gone, so children cannot inherit them')
  t.notOk(existsSync(join(dir, 'unused')), 'listen({ path }) gave way to activation: no directory created')

  const c = await connect(path, t)
  t.same((await c.call('echo', [1], 1)).result, [1])
  t.same((await c.call('env', {}, 2)).result, up.env)
  c.socket.destroy()

  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exit(), { code: 0, signal: null })
  t.equal(lstatSync(path).ino, inode, 'the manager\'s socket file is still there')
  t.equal(lstatSync(path).mode & 0o777, 0o640, 'and its mode unchanged')
})

t.test('LISTEN_FDNAMES picks the fd by name', async (t) => {
  const dir = tempDir(t)
  const a = await managerSocket(join(dir, 'a.sock'))
  const b = await managerSocket(join(dir, 'b.sock'))
  const daemon = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ name: 'events' })], {
    ownListenPid: true,
    env: env({ LISTEN_FDS: '2', LISTEN_FDNAMES: 'control:events' }),
    stdio: ['pipe', 'pipe', 'pipe', a.fd, b.fd]
  })
  await a.release()
  await b.release()
  const up = await ready(daemon)
  t.same(up.addresses, ['fd:4'], 'only the fd named events')
  const c = await connect(join(dir, 'b.sock'), t)
  t.same((await c.call('echo', ['b'])).result, ['b'])
  c.socket.destroy()
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exit(), { code: 0, signal: null })
})

t.test('a name the manager did not pass is an error that lists the names', async (t) => {
  const dir = tempDir(t)
  const a = await managerSocket(join(dir, 'a.sock'))
  const daemon = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ name: 'nope' })], {
    ownListenPid: true,
    env: env({ LISTEN_FDS: '1', LISTEN_FDNAMES: 'control' }),
    stdio: ['pipe', 'pipe', 'pipe', a.fd]
  })
  await a.release()
  t.match(await ready(daemon), { error: 'LINEFY_ERR_NOT_ACTIVATED', message: /no fd named 'nope' \(names: control\)/ })
  t.same(await daemon.exit(), { code: 1, signal: null })
})

t.test('LISTEN_PID of another process: not activated, the daemon binds its path', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'own.sock')
  const daemon = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ path })], {
    env: env({ LISTEN_PID: String(process.pid), LISTEN_FDS: '1' })
  })
  const up = await ready(daemon)
  t.same(up.addresses, [path])
  t.equal(up.env.LISTEN_PID, String(process.pid), 'variables meant for another process are left alone')
  const c = await connect(path, t)
  t.same((await c.call('echo', ['own'])).result, ['own'])
  c.socket.destroy()
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exit(), { code: 0, signal: null })
  t.notOk(existsSync(path), 'a socket it bound itself, it removes')
})

t.test('listen() with no target uses activation', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'demo.sock')
  const manager = await managerSocket(path)
  const daemon = runFixture(t, 'transport-daemon.mjs', [''], {
    ownListenPid: true,
    env: env({ LISTEN_FDS: '1' }),
    stdio: ['pipe', 'pipe', 'pipe', manager.fd]
  })
  await manager.release()
  t.same((await ready(daemon)).addresses, ['fd:3'])
  const c = await connect(path, t)
  t.same((await c.call('echo', [3])).result, [3])
  c.socket.destroy()
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exit(), { code: 0, signal: null })
  t.ok(existsSync(path))
})

t.test('listen({ fd }) serves an inherited fd without any environment', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'fd.sock')
  const manager = await managerSocket(path)
  const daemon = runFixture(t, 'transport-daemon.mjs', [JSON.stringify({ fd: 3 })], {
    env: env({}),
    stdio: ['pipe', 'pipe', 'pipe', manager.fd]
  })
  await manager.release()
  t.same((await ready(daemon)).addresses, ['fd:3'])
  const c = await connect(path, t)
  t.same((await c.call('echo', ['fd'])).result, ['fd'])
  c.socket.destroy()
  daemon.proc.kill('SIGTERM')
  t.same(await daemon.exit(), { code: 0, signal: null })
  t.ok(existsSync(path))
})

t.test('an fd that is not a listening socket is refused with LINEFY_ERR_LISTEN', async (t) => {
  const file = openSync(join(tempDir(t), 'plain'), 'w')
  t.teardown(() => closeSync(file))
  const app = linefy()
  await t.rejects(app.listen({ fd: file }), { code: 'LINEFY_ERR_LISTEN', message: new RegExp(`fd ${file}.*listening socket`) })
  await app.close()
  await t.rejects(linefy().register(fdTransport, { fd: -1 }).ready(), { code: 'LINEFY_ERR_INVALID_OPTION' })
})

t.test('the activation plugin without activation says so', async (t) => {
  t.equal(process.env.LISTEN_FDS, undefined, 'the test runner is not socket-activated')
  await t.rejects(linefy().register(activation).ready(), { code: 'LINEFY_ERR_NOT_ACTIVATED', message: /does not apply/ })
})
