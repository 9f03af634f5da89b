// node bench/startup.js [--rounds N] [--only name,name] [--cache-dir DIR] [--baseline CLI,CLI] (npm run bench:startup)
// Spawn to first echo reply, interleaved round by round in a rotating order
// (the machine is shared: drift hits every server alike), medians of the
// wall time and of the child's own CPU time to that reply, as ratios against
// a bare node:net echo server.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { stop } from './lib/procs.js'
import { startServer } from './lib/servers.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    only: { type: 'string' },
    'cache-dir': { type: 'string' },
    // other builds of the CLI to time beside this one (A/B), comma-separated paths of their command
    baseline: { type: 'string' }
  }
})

const dir = (rel) => fileURLToPath(new URL(rel, import.meta.url))
const CLI = dir('../dist/linefy.cjs')
const tmp = mkdtempSync(join(os.tmpdir(), 'linefy-startup-'))
// the daemon's code cache lives here (LINEFY_CACHE_DIR), warmed by round 0
const cacheDir = args['cache-dir'] ?? join(tmp, 'cache')
// through env(1), which execs: the pid timed stays the server's own
const withEnv = (vars, argv) => ['env', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ...argv]

const ALL = [
  { name: 'bare-net', label: 'bare node:net echo', cmd: (sock) => withEnv({}, [process.execPath, dir('servers/bare-net.mjs'), sock]) },
  // the same server as CommonJS, as the CLI's command is: Node's ESM entry path costs ~3 ms more
  { name: 'bare-net-cjs', label: 'bare node:net echo, CommonJS', cmd: (sock) => withEnv({}, [process.execPath, dir('servers/bare-net.cjs'), sock]) },
  { name: 'daemon-mjs', label: 'linefy daemon --demo via dist/linefy.mjs', cmd: (sock) => withEnv({ LINEFY_CACHE_DIR: cacheDir }, [process.execPath, dir('../dist/linefy.mjs'), 'daemon', '--demo', '--socket', sock]) },
  { name: 'daemon', label: 'linefy daemon --demo (dist/linefy.cjs, code cache)', cmd: (sock) => withEnv({ LINEFY_CACHE_DIR: cacheDir }, [process.execPath, CLI, 'daemon', '--demo', '--socket', sock]) },
  { name: 'daemon-nocache', label: 'linefy daemon --demo, no code cache (LINEFY_CACHE_DIR=)', cmd: (sock) => withEnv({ LINEFY_CACHE_DIR: '' }, [process.execPath, CLI, 'daemon', '--demo', '--socket', sock]) },
  ...(args.baseline?.split(',') ?? []).map((cli, i) => ({ name: `baseline${i}`, label: `daemon --demo from ${cli}`, cmd: (sock) => withEnv({ LINEFY_CACHE_DIR: cacheDir }, [process.execPath, cli, 'daemon', '--demo', '--socket', sock]) })),
  { name: 'app', label: 'bare library app (unbundled)', cmd: (sock) => withEnv({}, [process.execPath, dir('servers/linefy.mjs'), sock]) }
]
const only = args.only?.split(',')
const servers = ALL.filter((s) => only === undefined || only.includes(s.name) || s.name.startsWith('baseline'))
const rounds = Number(args.rounds)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

const results = new Map(servers.map((s) => [s.name, { wall: [], cpu: [] }]))
let n = 0
async function once (def, record) {
  const sock = join(tmp, `s${n++}.sock`)
  const server = await startServer(def, sock)
  await stop(server.child)
  if (record) {
    results.get(def.name).wall.push(server.startupMs)
    results.get(def.name).cpu.push(server.startupCpuMs)
  }
}

try {
  // round 0 warms the page cache (and writes the code cache); not recorded
  for (const def of servers) await once(def, false)
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < servers.length; i++) await once(servers[(i + r) % servers.length], true)
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

const base = results.get(servers[0].name)
const baseWall = median(base.wall)
const baseCpu = median(base.cpu)
console.log(`${rounds} interleaved rounds, Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
console.log('| server | wall ms (median) | min-max | vs bare | CPU ms (median) | vs bare |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
for (const def of servers) {
  const { wall, cpu } = results.get(def.name)
  const w = median(wall)
  const c = median(cpu)
  console.log(`| ${def.label} | ${w.toFixed(1)} | ${Math.min(...wall).toFixed(0)}-${Math.max(...wall).toFixed(0)} | ${(w / baseWall).toFixed(2)}x | ${c.toFixed(1)} | ${(c / baseCpu).toFixed(2)}x |`)
}
