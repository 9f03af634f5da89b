// npm run bench:mcp [-- --quick] [-- --also PATH] [-- --profile]: `linefy daemon --stdio --mcp
// --demo` beside the MCP SDK's McpServer serving the same four tools
// (bench/servers/mcp-sdk-stdio.mjs), over stdio, in one run, rounds interleaved, medians: spawn
// to the first tools/list reply, tools/call throughput (add, 64 in flight, after a warm-up) by
// the wall clock and per second of the server's own CPU time (schedstat: the machine is shared,
// and a wall rate moves with its load), peak RSS. Each server pinned to cpu 1, this driver to
// cpu 0. --also adds another build of the CLI (an A/B: `--also ../main/dist/linefy.cjs`);
// --json FILE also writes the medians there (npm run bench does, for its MCP row);
// --profile runs each server once under --cpu-prof instead and prints its top frames, as shares
// of the time it was busy.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { memory, schedSeconds, spawnPinned, stop } from './lib/procs.js'
import { formatTop, topFrames } from './profile-top.mjs'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, profile: { type: 'boolean' }, also: { type: 'string', multiple: true, default: [] }, rounds: { type: 'boolean' }, json: { type: 'string' } }
})
const root = fileURLToPath(new URL('..', import.meta.url))
const ROUNDS = args.quick ? 3 : 7
const WARMUP = 10_000
const CALLS = args.profile ? 200_000 : args.quick ? 20_000 : 50_000
const WINDOW = 64
const TIMEOUT_MS = 120_000

try { execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' }) } catch {}

const linefy = (cli) => [process.execPath, cli, 'daemon', '--stdio', '--mcp', '--demo', '--log-level', 'warn']
const servers = [
  { name: 'linefy daemon --stdio --mcp --demo', argv: linefy(`${root}dist/linefy.cjs`) },
  { name: 'MCP SDK McpServer (stdio)', argv: [process.execPath, `${root}bench/servers/mcp-sdk-stdio.mjs`] },
  ...args.also.map((cli) => ({ name: `linefy (${cli})`, argv: linefy(cli) }))
]

/** Seconds the main thread was runnable but waited for its CPU: how much the machine's other load held it back. */
const mainWait = (pid) => Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9

const line = (msg) => JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n'
const call = (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"add","arguments":{"a":${id},"b":1}}}\n`

/**
 * One server's run: spawned, initialized, listed, then WARMUP + CALLS tools/call add with WINDOW
 * in flight, only the last CALLS timed. The calls that replies free up go out in one write per
 * chunk read, so the driver stays well ahead of either server.
 */
async function once (server, profDir) {
  const t0 = process.hrtime.bigint()
  const [node, ...rest] = server.argv
  const argv = profDir === undefined ? server.argv : [node, '--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir, ...rest]
  const child = spawnPinned(1, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
  const total = WARMUP + CALLS
  let sent = 0
  let done = 0
  let bad = 0
  let onList = null
  let onTimed = null
  let mark = null
  let partial = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (s) => {
    const lines = (partial + s).split('\n')
    partial = lines.pop()
    let out = ''
    for (const l of lines) {
      const msg = JSON.parse(l)
      if (typeof msg.id !== 'number') {
        if (msg.id === 'list') onList(msg)
        continue
      }
      if (msg.result?.structuredContent?.result !== msg.id + 1) bad++
      if (++done === WARMUP) mark = measure(child.pid)
      if (done === total) onTimed()
      if (sent < total) out += call(sent++)
    }
    if (out !== '') child.stdin.write(out)
  })
  const guard = setTimeout(() => { child.kill('SIGKILL') }, TIMEOUT_MS)
  try {
    const listed = new Promise((resolve) => { onList = resolve })
    child.stdin.write(line({ id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } }) +
      line({ method: 'notifications/initialized' }) + line({ id: 'list', method: 'tools/list' }))
    const tools = await listed
    const startupMs = Number(process.hrtime.bigint() - t0) / 1e6
    if (tools.result?.tools?.length !== 4) throw new Error(`${server.name}: tools/list gave ${JSON.stringify(tools).slice(0, 200)}`)
    const timed = new Promise((resolve) => { onTimed = resolve })
    let out = ''
    while (sent < WINDOW) out += call(sent++)
    child.stdin.write(out)
    await timed
    const end = measure(child.pid)
    const { hwm } = memory(child.pid)
    if (bad > 0) throw new Error(`${server.name}: ${bad} wrong tools/call results`)
    const seconds = end.wall - mark.wall
    return { startupMs, callsPerSec: CALLS / seconds, callsPerCpuSec: CALLS / (end.cpu - mark.cpu), waitShare: (end.wait - mark.wait) / seconds, driverShare: (end.driver - mark.driver) / seconds, peakRssMiB: hwm / 1024 }
  } finally {
    clearTimeout(guard)
    child.stdin.end()
    // both exit by themselves once stdin ends, and only then does --cpu-prof write the profile
    if (profDir !== undefined) await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 30_000))])
    await stop(child)
  }
}

function measure (pid) {
  return { wall: Number(process.hrtime.bigint()) / 1e9, cpu: schedSeconds(pid).cpu, wait: mainWait(pid), driver: schedSeconds(process.pid).cpu }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })

/** The frames as shares of the time the server was busy: waiting for the driver is no cost of its. */
function busyShares (rows) {
  const idle = rows.find((r) => r.name === '(idle)')
  if (idle === undefined) return rows.slice(0, 25)
  const total = (100 * idle.selfMs) / idle.pct
  return rows.filter((r) => r !== idle).slice(0, 25).map((r) => ({ ...r, pct: (100 * r.selfMs) / (total - idle.selfMs) }))
}

if (args.profile) {
  const base = fileURLToPath(new URL('./.build/prof-mcp/', import.meta.url))
  rmSync(base, { recursive: true, force: true })
  for (const [i, server] of servers.entries()) {
    const dir = join(base, String(i))
    mkdirSync(dir, { recursive: true })
    const r = await once(server, dir)
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    if (file === undefined) throw new Error(`${server.name} wrote no profile`)
    console.log(`${server.name}: ${fmt(r.callsPerSec)} calls/s (driver busy ${fmt(r.driverShare * 100)} %), ${fmt(r.callsPerCpuSec)} per CPU second (${CALLS} calls after ${WARMUP}, profiled; the profile covers the whole run, startup included)`)
    console.log(formatTop(busyShares(topFrames(JSON.parse(readFileSync(join(dir, file), 'utf8')), { top: 26 }))) + '\n')
  }
  process.exit(0)
}

const runs = servers.map(() => [])
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < servers.length; i++) runs[i].push(await once(servers[i]))
  process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`)
}
const KEYS = ['startupMs', 'callsPerSec', 'callsPerCpuSec', 'waitShare', 'peakRssMiB']
const med = runs.map((rs) => Object.fromEntries(KEYS.map((k) => [k, median(rs.map((x) => x[k]))])))
const [l, sdk] = med
if (args.json !== undefined) {
  writeFileSync(args.json, JSON.stringify({ rounds: ROUNDS, calls: CALLS, warmup: WARMUP, window: WINDOW, linefy: l, sdk }) + '\n')
}
console.log(`Run: ${new Date().toISOString()}, ${args.quick ? 'quick' : 'full'} (${ROUNDS} rounds, medians), ${CALLS} tools/call add per round after ${WARMUP} to warm up, ${WINDOW} in flight, Node ${process.version}.`)
console.log('')
console.log('| server | spawn to tools/list ms | tools/call per s | per CPU second | waiting for a CPU | peak RSS MiB |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
for (let i = 0; i < servers.length; i++) {
  const m = med[i]
  console.log(`| ${servers[i].name} | ${fmt(m.startupMs, 1)} | ${fmt(m.callsPerSec)} | ${fmt(m.callsPerCpuSec)} | ${fmt(m.waitShare * 100)} % | ${fmt(m.peakRssMiB, 1)} |`)
}
const x = (a, b) => (a / b).toFixed(2) + 'x'
console.log(`| linefy / SDK | ${x(l.startupMs, sdk.startupMs)} | ${x(l.callsPerSec, sdk.callsPerSec)} | ${x(l.callsPerCpuSec, sdk.callsPerCpuSec)} | | ${x(l.peakRssMiB, sdk.peakRssMiB)} |`)
if (args.rounds) {
  console.log('')
  for (let i = 0; i < servers.length; i++) console.log(`${servers[i].name}: ${runs[i].map((r) => `${fmt(r.callsPerSec)}/s ${fmt(r.callsPerCpuSec)}/cpu-s`).join(', ')}`)
}
