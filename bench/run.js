// npm run bench [-- --quick] [-- --rounds N] [-- --only name,name] [-- --linefy daemon|app]
// Starts every server as its own process, round by round in a rotating order
// so that drift on a shared machine hits all of them alike, and reports
// medians, ratios against the hand-written ceiling and the targets.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildLoadgen, holdIdle, load, LOADGEN_CPU } from './lib/loadgen.js'
import { memory, schedSeconds, stop } from './lib/procs.js'
import { markdownReport, summarize, targets, textReport } from './lib/report.js'
import { serverList, startServer, SERVER_CPU } from './lib/servers.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    linefy: { type: 'string' }
  }
})

const params = args.quick
  ? { rounds: 1, warmup: 0.3, duration: 1, idleConns: 10_000, settleMs: 500 }
  : { rounds: 5, warmup: 1, duration: 5, idleConns: 10_000, settleMs: 1000 }
if (args.rounds !== undefined) params.rounds = Number(args.rounds)
Object.assign(params, { serverCpu: SERVER_CPU, loadgenCpu: LOADGEN_CPU })

const SCENARIOS = {
  latency: { conns: 1, depth: 1 },
  many: { conns: 256, depth: 1 },
  throughput: { conns: 16, depth: 32 }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const only = args.only?.split(',')
const servers = serverList(args.linefy).filter((s) => only === undefined || only.includes(s.name))

// Server CPU is sampled over the generator's measuring window only: replies
// per server CPU-second stay comparable when other load steals the core.
async function measured (pid, sock, scenario, protocol) {
  const run = load(sock, { ...SCENARIOS[scenario], warmup: params.warmup, duration: params.duration, protocol })
  run.catch(() => {})
  await sleep(params.warmup * 1000)
  const a = schedSeconds(pid)
  // peak RSS under this load, not the process's lifetime high-water mark
  let rssKiB = memory(pid).rss
  const sampler = setInterval(() => { rssKiB = Math.max(rssKiB, memory(pid).rss) }, 50)
  await sleep(params.duration * 1000)
  clearInterval(sampler)
  const b = schedSeconds(pid)
  const r = await run
  r.rssKiB = rssKiB
  r.serverCpu = (b.cpu - a.cpu) / params.duration
  r.serverWait = (b.wait - a.wait) / params.duration
  r.rpsPerCpu = r.rps / r.serverCpu
  return r
}

// RSS growth while 10,000 connections sit open, each after one answered request
async function idleMemory (pid, sock, protocol) {
  await load(sock, { conns: 1, depth: 1, warmup: 0, duration: 0.3, protocol })
  await sleep(200)
  const before = memory(pid).rss
  const { info, release } = await holdIdle(sock, params.idleConns, protocol)
  try {
    await sleep(params.settleMs)
    const after = memory(pid).rss
    return { bytesPerConn: (after - before) * 1024 / params.idleConns, errors: info.errors, connectMs: info.ms }
  } finally {
    await release()
  }
}

async function runServer (def, sock) {
  const rec = {}
  let server = null
  try {
    server = await startServer(def, sock)
    rec.startupMs = server.startupMs
    rec.startupCpuMs = server.startupCpuMs
    const pid = server.child.pid
    rec.startRssKiB = memory(pid).rss
    if (def.scenarios.includes('idle')) rec.idle = await idleMemory(pid, sock, def.protocol)
    for (const scenario of Object.keys(SCENARIOS)) {
      if (def.scenarios.includes(scenario)) rec[scenario] = await measured(pid, sock, scenario, def.protocol)
    }
    rec.peakRssKiB = memory(pid).hwm
  } catch (err) {
    rec.failed = err.message
    console.error(`  ${def.name} failed: ${err.message}`)
  } finally {
    if (server !== null) await stop(server.child)
  }
  return rec
}

function machine () {
  const cpus = os.cpus()
  const gib = Math.round(os.totalmem() / 2 ** 30)
  return {
    cpu: cpus[0]?.model, cores: cpus.length, memGiB: gib, node: process.version, kernel: os.release(),
    summary: `${cpus.length} x ${cpus[0]?.model}, ${gib} GiB, Linux ${os.release()}, Node ${process.version}`
  }
}

buildLoadgen()
const tmp = mkdtempSync(join(os.tmpdir(), 'linefy-bench-'))
const rounds = Object.fromEntries(servers.map((s) => [s.name, []]))
let mcp
try {
  for (let round = 0; round < params.rounds; round++) {
    const order = servers.map((_, i) => servers[(i + round) % servers.length])
    for (const def of order) {
      console.error(`round ${round + 1}/${params.rounds}: ${def.name}`)
      rounds[def.name].push(await runServer(def, join(tmp, `${def.name}-${round}.sock`)))
    }
  }
  // MCP tools/call against the SDK's McpServer: its own driver (stdio, not the line generator)
  if (only === undefined || only.includes('mcp')) {
    console.error('MCP: bench/mcp.js')
    const file = join(tmp, 'mcp.json')
    execFileSync(process.execPath, [new URL('./mcp.js', import.meta.url).pathname, ...(args.quick ? ['--quick'] : []), '--json', file], { stdio: ['ignore', 'ignore', 'inherit'] })
    mcp = JSON.parse(readFileSync(file, 'utf8'))
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

const summary = Object.fromEntries(servers.map((s) => [s.name, summarize(rounds[s.name])]))
const result = {
  date: new Date().toISOString(),
  mode: args.quick ? 'quick' : 'full',
  machine: machine(),
  params,
  scenarios: SCENARIOS,
  linefyLabel: servers.find((s) => s.name === 'linefy')?.label,
  servers: servers.map(({ name, label, kind, protocol, scenarios }) => ({ name, label, kind, protocol, scenarios })),
  summary,
  targets: targets(summary, servers, { mcp }),
  mcp,
  rounds
}
const out = new URL('./results/', import.meta.url)
mkdirSync(out, { recursive: true })
// a run of some servers only (--only) must not replace the last run of them all
const base = only === undefined ? 'latest' : 'latest-only'
writeFileSync(new URL(`${base}.json`, out), JSON.stringify(result, null, 2) + '\n')
writeFileSync(new URL(`${base}.md`, out), markdownReport(result))
console.log(textReport(result))
