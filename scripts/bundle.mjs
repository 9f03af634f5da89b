// The CLI as one file (dist/linefy.bundle.cjs), so `linefy` starts without
// Node's module loader opening ~300 files: about a third of the time to a
// daemon's first reply, and the EMFILE that stopped it under a low `ulimit -n`.
// CommonJS, because vm.Script takes a classic script: dist/linefy.cjs, the
// command, runs it with V8's code cache (src/cli/code-cache.ts), and is
// CommonJS too, which spares every start Node's ESM entry path (~3 ms).
// dist/linefy.mjs stays for the scripts and units that name it.
// The library (dist/index.js) stays unbundled for importers.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'

// pino loads its worker-thread transports (thread-stream, node:worker_threads)
// when it loads, and the CLI never starts one: it logs to a stream; sonic-boom
// loads node:assert (~2 ms) for one check of pino.destination(). Each require
// below is deferred to its first use; a dependency whose source no longer
// reads this way fails the build instead of bundling the eager loads again.
const deferred = {
  'pino/pino.js': [["module.exports.transport = require('./lib/transport')", "Object.defineProperty(module.exports, 'transport', { enumerable: true, get: () => require('./lib/transport') })"]],
  'pino/lib/tools.js': [
    ["const { isMainThread } = require('worker_threads')\n", ''],
    ["const transport = require('./transport')", "const transport = (opts) => require('./transport')(opts)"],
    ['if (!opts.sync && isMainThread) {', "if (!opts.sync && require('worker_threads').isMainThread) {"]
  ],
  'sonic-boom/index.js': [["const assert = require('assert')", "const assert = (ok, message) => require('assert')(ok, message)"]]
}
const deferLoads = {
  name: 'defer-loads',
  setup (b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/](pino[\\/](pino|lib[\\/]tools)|sonic-boom[\\/]index)\.js$/ }, async ({ path }) => {
      const [, edits] = Object.entries(deferred).find(([file]) => path.replaceAll('\\', '/').endsWith('node_modules/' + file))
      let contents = await readFile(path, 'utf8')
      for (const [from, to] of edits) {
        if (!contents.includes(from)) throw new Error(`scripts/bundle.mjs: ${path} no longer contains ${JSON.stringify(from)}: update the deferred loads`)
        contents = contents.replace(from, to)
      }
      return { contents, loader: 'js' }
    })
  }
}

await build({
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/linefy.bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // loaded on first injectHttp() only, which the CLI never calls; as require(),
  // since a vm.Script has no loader for import()
  external: ['light-my-request'],
  supported: { 'dynamic-import': false },
  plugins: [deferLoads],
  logLevel: 'warning'
})

await build({
  entryPoints: ['dist/src/cli/launch.js'],
  outfile: 'dist/linefy.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // import.meta.url, which CommonJS has not; "use strict" first, so that it still applies
  banner: { js: "#!/usr/bin/env node\n'use strict'\nconst launcherUrl = require('node:url').pathToFileURL(__filename).href" },
  define: {
    LINEFY_BUILD: JSON.stringify(createHash('sha256').update(readFileSync('dist/linefy.bundle.cjs')).digest('hex').slice(0, 16)),
    'import.meta.url': 'launcherUrl'
  },
  logLevel: 'warning'
})

chmodSync('dist/linefy.cjs', 0o755)
writeFileSync('dist/linefy.mjs', "#!/usr/bin/env node\n// the command is dist/linefy.cjs; this path stays for what names it\nimport './linefy.cjs'\n")
chmodSync('dist/linefy.mjs', 0o755)
