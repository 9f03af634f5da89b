// node bench/profile.js [--server linefy] [--duration 5] [--linefy daemon|app] [--conns 16] [--depth 32]
// Runs one server under the throughput scenario (16x32 unless told) with
// --cpu-prof and prints its top frames by self time; the report lands in
// bench/results/. HTTP servers (linefy-http, fastify-http) get HTTP load.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildLoadgen, load } from './lib/loadgen.js'
import { stop } from './lib/procs.js'
import { serverList, startServer } from './lib/servers.js'
import { formatTop, topFrames } from './profile-top.mjs'

const { values: args } = parseArgs({
  options: {
    server: { type: 'string', default: 'linefy' },
    duration: { type: 'string', default: '5' },
    linefy: { type: 'string' },
    conns: { type: 'string', default: '16' },
    depth: { type: 'string', default: '32' }
  }
})
const def = serverList(args.linefy).find((s) => s.name === args.server)
if (def === undefined) throw new Error(`no server named ${args.server}`)

const profDir = fileURLToPath(new URL('./.build/prof/', import.meta.url))
rmSync(profDir, { recursive: true, force: true })
mkdirSync(profDir, { recursive: true })
const profiled = { ...def, cmd: (sock) => { const [node, ...rest] = def.cmd(sock); return [node, '--cpu-prof', '--cpu-prof-dir', profDir, ...rest] } }

buildLoadgen()
const tmp = mkdtempSync(join(os.tmpdir(), 'linefy-prof-'))
let result
try {
  const server = await startServer(profiled, join(tmp, 's.sock'))
  try {
    result = await load(join(tmp, 's.sock'), { conns: Number(args.conns), depth: Number(args.depth), warmup: 1, duration: Number(args.duration), protocol: def.protocol })
  } finally {
    await stop(server.child, 10_000)
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
if (file === undefined) throw new Error(`${def.name} wrote no profile (it must exit normally on SIGTERM)`)
const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8'))
const text = [
  `${def.label}, ${args.conns}x${args.depth} for ${args.duration} s: ${Math.round(result.rps).toLocaleString('en-US')} req/s, errors ${result.errors}`,
  '', 'top frames by self time (whole process lifetime, startup included):', formatTop(topFrames(profile)),
  '', 'by source file:', formatTop(topFrames(profile, { by: 'file', top: 10 }))
].join('\n')
writeFileSync(new URL(`./results/profile-${def.name}.txt`, import.meta.url), text + '\n')
console.log(text)
