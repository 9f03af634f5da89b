import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Script } from 'node:vm'
import * as zlib from 'node:zlib'

/**
 * Where the CLI keeps V8's code cache: $LINEFY_CACHE_DIR (empty: no cache),
 * else $XDG_CACHE_HOME/linefy, else ~/.cache/linefy. A directory the user
 * owns, never the install's: a global install is read-only to its users.
 */
export function cacheDir (env: NodeJS.ProcessEnv, home: string): string | undefined {
  if (env.LINEFY_CACHE_DIR !== undefined) return env.LINEFY_CACHE_DIR === '' ? undefined : env.LINEFY_CACHE_DIR
  const xdg = env.XDG_CACHE_HOME
  if (xdg !== undefined && xdg.startsWith('/')) return join(xdg, 'linefy')
  return home === '' ? undefined : join(home, '.cache', 'linefy')
}

export interface CachedRun {
  /** The CommonJS file to run, as node would run it (module, require, __filename). */
  file: string
  /** Names what the file holds (a hash of it): a cache written for another build is never read. */
  build: string
  /** The cache directory, or undefined for none. */
  dir: string | undefined
  /** Which cache of this build: one per way of running it, each holding the functions that run compiled. */
  name: string
  /** Where to hook the write of a fresh cache: once the run has compiled what it runs (the CLI: at exit). */
  onDone: (write: () => void) => void
}

/**
 * Runs a CommonJS file through vm.Script with V8's code cache: what the file
 * compiled last time is read back instead of parsed and compiled again (most
 * of a big bundle's load time). The cache is a hint, never a condition:
 * missing, unreadable, corrupt or written by another V8 (V8 checks its
 * version, flags and the source's length; `build` covers the content), the
 * file is compiled as if there were none, and a fresh cache is written once
 * the run is done, where the directory allows; any failure to write is
 * silent. Node 22's module.enableCompileCache() does this for modules, but
 * Node 20 has none.
 */
export function runCached (run: CachedRun): { exports: unknown, cache: 'off' | 'hit' | 'miss' | 'rejected' } {
  const source = readFileSync(run.file, 'utf8')
  const prefix = `${run.name}-`
  const path = run.dir === undefined ? undefined : join(run.dir, `${prefix}${run.build}-${process.versions.v8}-${process.arch}.code`)
  const cachedData = path === undefined ? undefined : load(path, process.getuid?.())
  const script = new Script(wrap(source), { filename: run.file, cachedData })
  const cache = path === undefined ? 'off' : cachedData === undefined ? 'miss' : script.cachedDataRejected === true ? 'rejected' : 'hit'
  if (cache === 'miss' || cache === 'rejected') {
    run.onDone(() => save(script, run.dir as string, path as string, prefix))
  }
  const module = { exports: {} as unknown }
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void
  fn(module.exports, createRequire(run.file), module, run.file, dirname(run.file))
  return { exports: module.exports, cache }
}

// the checksum in front of V8's data: 4 bytes, so the data stays 4-aligned
const HEADER = 4

/**
 * FNV-1a over 32-bit words, where Node has no zlib.crc32 (before 20.15).
 * Neither is node:crypto: loading it costs ~2 ms of every start, and the
 * check is against damage (a cut or garbled file), not against someone who
 * can write the user's own cache directory.
 */
export function fnv1a (data: Uint8Array): number {
  const aligned = data.byteOffset % 4 === 0 ? data : new Uint8Array(data)
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >> 2)
  let h = 0x811c9dc5 ^ data.length
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ (words[i] as number), 0x01000193)
  for (let i = words.length << 2; i < data.length; i++) h = Math.imul(h ^ (data[i] as number), 0x01000193)
  return h >>> 0
}

// zlib.crc32 runs natively: ~0.1 ms for the daemon's cache, where the loop above takes ~2
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32

export const checksum: (data: Uint8Array) => number = crc32 ?? fnv1a

/**
 * The cache's payload, when the file is whole and the user's own. V8 checks
 * only the header of what it is given: a damaged payload would crash the
 * process, not be rejected, hence a checksum of our own in front of it. The
 * data is code that runs: a file another user could have written (a shared
 * LINEFY_CACHE_DIR) is never read.
 */
function load (path: string, uid: number | undefined): Buffer | undefined {
  let fd
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined // none yet, or unreadable: compile
  }
  let file
  try {
    if (uid !== undefined && fstatSync(fd).uid !== uid) return undefined
    file = readFileSync(fd)
  } finally {
    closeSync(fd)
  }
  if (file.length <= HEADER) return undefined
  const data = file.subarray(HEADER)
  return checksum(data) === file.readUInt32LE(0) ? data : undefined
}

// node's own CommonJS wrapper, so the file sees what `node file.cjs` would give
// it; on the source's first line, so that stack traces keep its line numbers,
// and a #! line (legal only at the very start) turned into a comment
function wrap (source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source.startsWith('#!') ? '//' + source : source}\n})`
}

// caches of other builds kept per name: a few installs side by side each keep
// theirs, while every rebuild of a checkout does not add one for good
const KEEP = 4

/** Writes the cache beside any other process doing the same (a rename), then drops this name's oldest caches beyond KEEP. */
function save (script: Script, dir: string, path: string, prefix: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = `${path}.${process.pid}.tmp`
    const data = script.createCachedData()
    const header = Buffer.alloc(HEADER)
    header.writeUInt32LE(checksum(data))
    writeFileSync(tmp, Buffer.concat([header, data]), { mode: 0o600 })
    renameSync(tmp, path)
    const caches = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.code'))
      .map((f) => ({ f, mtime: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.mtime - a.mtime)
    for (const { f } of caches.slice(KEEP)) unlinkSync(join(dir, f))
  } catch {} // a cache is an optimisation: an unwritable directory only costs the next start its compile
}
