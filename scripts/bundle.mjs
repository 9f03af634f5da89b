// The CLI as one file (dist/linefy.cjs), so `linefy` starts without Node's
// module loader opening ~300 files: about a third of the time to a daemon's
// first reply, and the EMFILE that stopped it under a low `ulimit -n`.
// dist/linefy.mjs, the command, runs it with V8's code cache
// (src/cli/code-cache.ts): CommonJS, because vm.Script takes a classic script.
// The library (dist/index.js) stays unbundled for importers.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

await build({
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/linefy.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // loaded on first injectHttp() only, which the CLI never calls; as require(),
  // since a vm.Script has no loader for import()
  external: ['light-my-request'],
  supported: { 'dynamic-import': false },
  logLevel: 'warning'
})

await build({
  entryPoints: ['dist/src/cli/launch.js'],
  outfile: 'dist/linefy.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  define: { LINEFY_BUILD: JSON.stringify(createHash('sha256').update(readFileSync('dist/linefy.cjs')).digest('hex').slice(0, 16)) },
  logLevel: 'warning'
})
