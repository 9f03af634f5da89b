// npm run bench:mcp [-- --quick]: `linefy daemon --stdio --mcp --demo` beside the MCP SDK's
// McpServer serving the same four tools (bench/servers/mcp-sdk-stdio.mjs), over stdio, in one
// run, rounds interleaved, medians: spawn to the first tools/list reply, tools/call throughput
// (add, 64 in flight), peak RSS. Each server pinned to cpu 1, this driver to cpu 0.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { memory, spawnPinned, stop } from './lib/procs.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 7
const CALLS = quick ? 5_000 : 20_000
const WINDOW = 64
const TIMEOUT_MS = 60_000

try { execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' }) } catch {}

const servers = [
  { name: 'linefy daemon --stdio --mcp --demo', argv: [process.execPath, `${root}dist/linefy.mjs`, 'daemon', '--stdio', '--mcp', '--demo', '--log-level', 'warn'] },
  { name: 'MCP SDK McpServer (stdio)', argv: [process.execPath, `${root}bench/servers/mcp-sdk-stdio.mjs`] }
]

const line = (msg) => JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n'

/** One server's run: spawned, initialized, listed, then CALLS tools/call add with WINDOW in flight. */
async function once (server) {
  const t0 = process.hrtime.bigint()
  const child = spawnPinned(1, server.argv, { stdio: ['pipe', 'pipe', 'pipe'] })
  const waiting = new Map()
  let rest = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (s) => {
    const lines = (rest + s).split('\n')
    rest = lines.pop()
    for (const l of lines) {
      const msg = JSON.parse(l)
      const w = waiting.get(msg.id)
      if (w === undefined) continue
      waiting.delete(msg.id)
      w(msg)
    }
  })
  const reply = (id) => new Promise((resolve) => waiting.set(id, resolve))
  const guard = setTimeout(() => { child.kill('SIGKILL') }, TIMEOUT_MS)
  try {
    const listed = reply('list')
    child.stdin.write(line({ id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } }) +
      line({ method: 'notifications/initialized' }) + line({ id: 'list', method: 'tools/list' }))
    const tools = await listed
    const startupMs = Number(process.hrtime.bigint() - t0) / 1e6
    if (tools.result?.tools?.length !== 4) throw new Error(`${server.name}: tools/list gave ${JSON.stringify(tools).slice(0, 200)}`)

    let sent = 0
    let bad = 0
    const started = process.hrtime.bigint()
    await new Promise((resolve) => {
      let done = 0
      const send = () => {
        const id = sent++
        reply(id).then((msg) => {
          if (msg.result?.structuredContent?.result !== id + 1) bad++
          if (++done === CALLS) return resolve()
          if (sent < CALLS) send()
        })
        child.stdin.write(line({ id, method: 'tools/call', params: { name: 'add', arguments: { a: id, b: 1 } } }))
      }
      for (let i = 0; i < WINDOW; i++) send()
    })
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const { hwm } = memory(child.pid)
    if (bad > 0) throw new Error(`${server.name}: ${bad} wrong tools/call results`)
    return { startupMs, callsPerSec: CALLS / seconds, peakRssMiB: hwm / 1024 }
  } finally {
    clearTimeout(guard)
    child.stdin.end()
    await stop(child)
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const runs = servers.map(() => [])
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < servers.length; i++) runs[i].push(await once(servers[i]))
  process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`)
}
const med = runs.map((rs) => ({ startupMs: median(rs.map((x) => x.startupMs)), callsPerSec: median(rs.map((x) => x.callsPerSec)), peakRssMiB: median(rs.map((x) => x.peakRssMiB)) }))
const [l, sdk] = med
const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
console.log(`Run: ${new Date().toISOString()}, ${quick ? 'quick' : 'full'} (${ROUNDS} rounds, medians), ${CALLS} tools/call add per round, ${WINDOW} in flight, Node ${process.version}.`)
console.log('')
console.log('| server | spawn to tools/list ms | tools/call per s | peak RSS MiB |')
console.log('| --- | ---: | ---: | ---: |')
for (let i = 0; i < servers.length; i++) console.log(`| ${servers[i].name} | ${fmt(med[i].startupMs, 1)} | ${fmt(med[i].callsPerSec)} | ${fmt(med[i].peakRssMiB, 1)} |`)
console.log(`| linefy / SDK | ${(l.startupMs / sdk.startupMs).toFixed(2)}x | ${(l.callsPerSec / sdk.callsPerSec).toFixed(2)}x | ${(l.peakRssMiB / sdk.peakRssMiB).toFixed(2)}x |`)
