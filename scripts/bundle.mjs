// The CLI as one file (dist/linefy.mjs), so `linefy` starts without Node's
// module loader opening ~300 files: about a third of the time to a daemon's
// first reply, and the EMFILE that stopped it under a low `ulimit -n`.
// The library (dist/index.js) stays unbundled for importers.
import { build } from 'esbuild'

await build({
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/linefy.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // loaded on first injectHttp() only, which the CLI never calls
  external: ['light-my-request'],
  // the bundled CommonJS dependencies (avvio, fastq, pino) call require()
  banner: { js: "import { createRequire as linefyRequire } from 'node:module'\nconst require = linefyRequire(import.meta.url)" },
  logLevel: 'warning'
})
