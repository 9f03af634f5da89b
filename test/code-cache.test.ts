import t, { type Test } from 'tap'
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from '../client.js'
import { cacheDir, checksum, fnv1a, runCached, type CachedRun } from '../src/cli/code-cache.js'
import { runCli, runScript, startDaemon } from './helpers/process.js'
import { tempDir } from './helpers/util.js'

// a CommonJS file with what node gives one: module, exports, require, __filename
const SOURCE = `#!/usr/bin/env node
const { basename } = require('node:path')
function twice (x) { return x * 2 }
module.exports = { six: twice(3), file: basename(__filename), dir: __dirname, same: exports === module.exports }
`

/** A bundle in a fresh dir, and a run of it that writes its cache at once instead of at exit. */
function fixture (t: Test, source = SOURCE): { file: string, dir: string, run: (over?: Partial<CachedRun>) => ReturnType<typeof runCached> } {
  const root = tempDir(t)
  const file = join(root, 'bundle.cjs')
  writeFileSync(file, source)
  const dir = join(root, 'cache')
  const run = (over: Partial<CachedRun> = {}): ReturnType<typeof runCached> => runCached({ file, build: 'b1', dir, name: 'daemon', onDone: (write) => write(), ...over })
  return { file, dir, run }
}

const caches = (dir: string): string[] => readdirSync(dir).sort()
// what the cache file carries in front of V8's data: a checksum of it
const whole = (file: Buffer): boolean => checksum(file.subarray(4)) === file.readUInt32LE(0)

t.test('the first run compiles and writes the cache, the next reads it; the file runs as node would run it', async (t) => {
  const { file, dir, run } = fixture(t)
  const first = run()
  t.equal(first.cache, 'miss')
  t.same(first.exports, { six: 6, file: 'bundle.cjs', dir: join(file, '..'), same: true }, 'module, exports, require, __filename and __dirname, past a #! line')
  t.same(caches(dir), [`daemon-b1-${process.versions.v8}-${process.arch}.code`])
  const second = run()
  t.equal(second.cache, 'hit')
  t.same(second.exports, first.exports)
})

t.test('a corrupt, truncated or empty cache file is compiled past and rewritten, never run', async (t) => {
  const { dir, run } = fixture(t)
  run()
  const path = join(dir, caches(dir)[0] as string)
  const good = readFileSync(path)
  const damaged = Buffer.from(good)
  // past V8's header, where V8 itself checks nothing and would crash on
  for (let i = 40; i < damaged.length; i += 7) damaged[i] = (damaged[i] as number) ^ 0xa5
  for (const [what, bytes] of [['damaged', damaged], ['truncated', good.subarray(0, good.length >> 1)], ['empty', Buffer.alloc(0)], ['a checksum and nothing else', good.subarray(0, 4)]] as const) {
    writeFileSync(path, bytes)
    const r = run()
    t.equal(r.cache, 'miss', what)
    t.equal((r.exports as { six: number }).six, 6)
    t.equal(run().cache, 'hit', `${what}: rewritten whole`)
  }
})

t.test('a cache file another user owns is never read: it is code that would run as this one', { skip: process.getuid?.() !== 0 && 'only root can give a file away' }, async (t) => {
  const { dir, run } = fixture(t)
  run()
  const path = join(dir, caches(dir)[0] as string)
  chownSync(path, 1, 1)
  t.equal(run().cache, 'miss', 'compiled past, and replaced by one of our own')
  t.equal(run().cache, 'hit')
})

t.test('a cache V8 rejects (another V8, other flags, another source) is compiled past and replaced', async (t) => {
  const { file, dir, run } = fixture(t)
  run()
  // the same build name over a source of another length: V8's own check refuses it
  writeFileSync(file, SOURCE + '// longer\n')
  const r = run()
  t.equal(r.cache, 'rejected')
  t.equal((r.exports as { six: number }).six, 6)
  t.equal(run().cache, 'hit', 'the replacement is read next time')
})

t.test('a cache directory that cannot be made or written costs only the compile', async (t) => {
  const { file, run } = fixture(t, SOURCE.slice(SOURCE.indexOf('\n') + 1))
  // under a regular file: ENOTDIR for root too, whom permissions do not stop
  const r = run({ dir: join(file, 'cache') })
  t.equal(r.cache, 'miss')
  t.equal((r.exports as { six: number }).six, 6)
  t.equal(run({ dir: join(file, 'cache') }).cache, 'miss', 'and again next time, silently')
  t.equal(run({ dir: undefined }).cache, 'off', 'no directory: no cache at all')
})

t.test('each name keeps its own cache; a build keeps the newest few of the others', async (t) => {
  const { dir, run } = fixture(t)
  run({ name: 'client' })
  for (let b = 1; b <= 6; b++) {
    run({ build: `old${b}` })
    // distinct ages, oldest first, whatever the filesystem's timestamp granularity
    utimesSync(join(dir, `daemon-old${b}-${process.versions.v8}-${process.arch}.code`), b, b)
  }
  run({ build: 'new' })
  t.same(caches(dir).map((f) => f.split('-').slice(0, 2).join('-')), ['client-b1', 'daemon-new', 'daemon-old4', 'daemon-old5', 'daemon-old6'])
  t.equal(run({ name: 'client' }).cache, 'hit')
})

t.test('the checksum sees every byte, wherever the bytes sit in memory', async (t) => {
  // zlib.crc32 where Node has it (20.15 and later), FNV-1a before
  for (const [name, sum] of [['checksum', checksum], ['fnv1a', fnv1a]] as const) {
    const bytes = Buffer.from('seven b')
    const shifted = Buffer.concat([Buffer.from('x'), bytes]).subarray(1)
    t.equal(sum(shifted), sum(bytes), `${name}: the same bytes at an odd offset`)
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes)
      changed[i] = (changed[i] as number) ^ 1
      t.not(sum(changed), sum(bytes), `${name}: a bit changed in byte ${i}`)
    }
    t.not(sum(bytes.subarray(0, 6)), sum(bytes), `${name}: a byte cut off`)
  }
})

t.test('where the cache lives: LINEFY_CACHE_DIR (empty: none), else XDG_CACHE_HOME, else ~/.cache', async (t) => {
  t.equal(cacheDir({ LINEFY_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/h'), '/c')
  t.equal(cacheDir({ LINEFY_CACHE_DIR: '', XDG_CACHE_HOME: '/x' }, '/h'), undefined)
  t.equal(cacheDir({ XDG_CACHE_HOME: '/x' }, '/h'), '/x/linefy')
  t.equal(cacheDir({ XDG_CACHE_HOME: 'relative' }, '/h'), '/h/.cache/linefy', 'a relative XDG_CACHE_HOME is ignored, as the spec says')
  t.equal(cacheDir({}, '/h'), '/h/.cache/linefy')
  t.equal(cacheDir({}, ''), undefined, 'no home: no cache')
})

t.test('the CLI writes its cache on the first run and starts from it on the next; a bad one never stops it', async (t) => {
  const root = tempDir(t)
  const dir = join(root, 'cache')
  const env = { LINEFY_CACHE_DIR: dir }
  const serveOnce = async (name: string): Promise<void> => {
    const path = join(root, name)
    const daemon = await startDaemon(t, path, ['--demo'], env)
    const c = await connect(path)
    t.same(await c.call('add', { a: 2, b: 3 }), 5, name)
    await c.close()
    daemon.proc.kill('SIGTERM')
    t.same(await daemon.exit(), { code: 0, signal: null })
  }
  await serveOnce('first.sock')
  const written = caches(dir)
  t.match(written, [/^daemon-[0-9a-f]{16}-.*\.code$/])
  const path = join(dir, written[0] as string)
  const good = readFileSync(path)
  await serveOnce('cached.sock')
  t.same(readFileSync(path), good, 'read, not rewritten')
  t.ok(whole(good))
  const corrupt = Buffer.concat([good.subarray(0, 4), Buffer.alloc(good.length - 4, 0x41)])
  writeFileSync(path, corrupt)
  await serveOnce('corrupt.sock')
  const replaced = readFileSync(path)
  t.ok(!replaced.equals(corrupt) && whole(replaced), 'a corrupt cache replaced by a whole one')
  t.equal((await runCli(t, ['--help'], env)).code, 0)
  t.same(caches(dir).map((f) => f.split('-')[0]), ['client', 'daemon'], 'the client verbs keep a cache of their own')
  const viaMjs = runScript(t, 'dist/linefy.mjs', ['--help'], { env: { ...process.env, ...env } })
  t.same(await viaMjs.exit(), { code: 0, signal: null }, 'dist/linefy.mjs, the path scripts and units name, runs the same command')
  t.match(viaMjs.stdout.text, /^Usage: linefy/)

  // a read-only install with a read-only home: no cache, same start
  const ro = join(root, 'ro')
  mkdirSync(ro)
  writeFileSync(join(ro, 'file'), '')
  chmodSync(ro, 0o500)
  t.teardown(() => chmodSync(ro, 0o700))
  t.equal((await runCli(t, ['--help'], { LINEFY_CACHE_DIR: join(ro, 'file', 'cache') })).code, 0)
  t.equal((await runCli(t, ['--help'], { LINEFY_CACHE_DIR: '' })).code, 0)
})
