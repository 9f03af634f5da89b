// The `linefy` command (dist/linefy.cjs): runs the CLI's bundle
// (dist/linefy.bundle.cjs) with V8's code cache, which saves most of compiling it.
import { homedir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { cacheDir, runCached } from './code-cache.js'

// the bundle's content hash, set by scripts/bundle.mjs
declare const LINEFY_BUILD: string

runCached({
  file: fileURLToPath(new URL('linefy.bundle.cjs', import.meta.url)),
  build: LINEFY_BUILD,
  dir: cacheDir(process.env, homedir()),
  // `call` and the other client verbs run different functions from the daemon's
  name: process.argv[2] === 'daemon' ? 'daemon' : 'client',
  // by then it holds every function the run compiled, not just the top level
  onDone: (write) => process.once('exit', write)
})
