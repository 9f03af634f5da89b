// Turns per-round measurements into medians, ratios, the issue's targets and
// the printed/markdown tables.

export function median (xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const m = v.length >> 1
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2
}

/** Median of every metric over the rounds a server completed. */
export function summarize (rounds) {
  const pick = (f) => median(rounds.map((r) => { try { return f(r) } catch { return null } }))
  return {
    rounds: rounds.length,
    throughputRps: pick((r) => r.throughput.rps),
    throughputPerCpu: pick((r) => r.throughput.rpsPerCpu),
    throughputP99: pick((r) => r.throughput.p99_us),
    manyRps: pick((r) => r.many.rps),
    manyPerCpu: pick((r) => r.many.rpsPerCpu),
    manyP99: pick((r) => r.many.p99_us),
    latencyP50: pick((r) => r.latency.p50_us),
    latencyP99: pick((r) => r.latency.p99_us),
    idleBytesPerConn: pick((r) => r.idle.bytesPerConn),
    startupMs: pick((r) => r.startupMs),
    startupCpuMs: pick((r) => r.startupCpuMs),
    peakRssMiB: pick((r) => r.peakRssKiB / 1024),
    loadRssMiB: pick((r) => r.throughput.rssKiB / 1024),
    idleRssMiB: pick((r) => r.startRssKiB / 1024),
    serverCpu: pick((r) => r.throughput.serverCpu),
    serverWait: pick((r) => r.throughput.serverWait),
    loadgenCpu: pick((r) => r.throughput.cpu),
    loadgenWait: pick((r) => r.throughput.wait),
    errors: rounds.reduce((n, r) => n + ['latency', 'many', 'throughput', 'idle']
      .reduce((m, k) => m + (r[k]?.errors ?? 0), 0) + (r.failed ? 1 : 0), 0)
  }
}

const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b)

// which way is better for each metric, so the ceiling can be the best of its servers
const HIGHER = new Set(['throughputRps', 'throughputPerCpu', 'manyRps', 'manyPerCpu'])

/**
 * The ceiling every line server is measured against: metric by metric, the
 * better of the hand-written servers (kind 'ceiling') in this run.
 */
export function ceilingOf (summary, servers) {
  const ceilings = servers.filter((s) => s.kind === 'ceiling').map((s) => summary[s.name]).filter(Boolean)
  const best = {}
  for (const key of Object.keys(ceilings[0] ?? {})) {
    const values = ceilings.map((c) => c[key]).filter((v) => typeof v === 'number')
    if (values.length > 0) best[key] = HIGHER.has(key) ? Math.max(...values) : Math.min(...values)
  }
  return best
}

/** The issue's targets, each with the measured ratio and whether it is met. */
export function targets (summary, servers, extra = {}) {
  const ceil = ceilingOf(summary, servers)
  const lf = summary.linefy
  const hooks = summary['linefy-hooks']
  const http = summary['linefy-http']
  const fastify = summary['fastify-http']
  const mcp = extra.mcp
  // cpuValue: the same ratio per server CPU-second (or startup CPU time), which
  // other load on the machine disturbs far less than wall-clock rates
  const t = (name, value, cpuValue, op, goal, unit = 'x') => {
    const ok = (v) => v != null && (op === '>=' ? v >= goal : v <= goal)
    return { name, value, cpuValue, op, goal, unit, met: ok(value), cpuMet: cpuValue == null ? null : ok(cpuValue) }
  }
  return [
    t('throughput (16x32) vs ceiling', ratio(lf?.throughputRps, ceil.throughputRps), ratio(lf?.throughputPerCpu, ceil.throughputPerCpu), '>=', 1),
    t('many clients (256x1) vs ceiling', ratio(lf?.manyRps, ceil.manyRps), ratio(lf?.manyPerCpu, ceil.manyPerCpu), '>=', 1),
    t('latency p99 (1x1) vs ceiling', ratio(lf?.latencyP99, ceil.latencyP99), null, '<=', 1.05),
    t('startup to first reply vs bare net', ratio(lf?.startupMs, ceil.startupMs), ratio(lf?.startupCpuMs, ceil.startupCpuMs), '<=', 1.3),
    t('peak RSS under 16x32 vs ceiling', ratio(lf?.loadRssMiB, ceil.loadRssMiB), null, '<=', 1.2),
    t('idle RSS vs ceiling', ratio(lf?.idleRssMiB, ceil.idleRssMiB), null, '<=', 1.2),
    t('10,000 idle connections, bytes each vs ceiling', ratio(lf?.idleBytesPerConn, ceil.idleBytesPerConn), null, '<=', 1.5),
    t('hooks + schema throughput vs ceiling', ratio(hooks?.throughputRps, ceil.throughputRps), ratio(hooks?.throughputPerCpu, ceil.throughputPerCpu), '>=', 0.85),
    // the HTTP transport does less than Fastify (no router tree, no content-type parser registry, no reply object)
    t('HTTP throughput (16x32) vs Fastify', ratio(http?.throughputRps, fastify?.throughputRps), ratio(http?.throughputPerCpu, fastify?.throughputPerCpu), '>=', 1),
    t('HTTP many clients (256x1) vs Fastify', ratio(http?.manyRps, fastify?.manyRps), ratio(http?.manyPerCpu, fastify?.manyPerCpu), '>=', 1),
    t('HTTP latency p99 (1x1) vs Fastify', ratio(http?.latencyP99, fastify?.latencyP99), null, '<=', 1),
    ...(mcp === undefined
      ? []
      : [t('MCP tools/call over stdio vs the SDK\'s McpServer', ratio(mcp.linefy.callsPerSec, mcp.sdk.callsPerSec), ratio(mcp.linefy.callsPerCpuSec, mcp.sdk.callsPerCpuSec), '>=', 5)])
  ]
}

const fmt = (v, digits = 0) => (v == null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
const x = (v) => (v == null ? '-' : v.toFixed(2) + 'x')

// line servers against the hand-written ceiling; HTTP servers against Fastify
const TABLES = [
  { protocol: undefined, ref: 'ceiling', vs: 'ceil' },
  { protocol: 'http', ref: 'fastify-http', vs: 'Fastify' }
]

function rows (summary, allServers, { protocol, ref, vs }) {
  const servers = allServers.filter((s) => s.protocol === protocol)
  const ceil = (ref === 'ceiling' ? ceilingOf(summary, allServers) : summary[ref]) ?? {}
  const header = ['server', '16x32 req/s', `vs ${vs}`, `per CPU vs ${vs}`, '256x1 req/s', `vs ${vs}`, `per CPU vs ${vs}`,
    '1x1 p50 us', '1x1 p99 us', `vs ${vs}`, 'idle B/conn', `vs ${vs}`, 'startup ms', `vs ${vs}`, 'startup CPU ms', 'idle RSS MiB', 'RSS 16x32 MiB', `vs ${vs}`, 'srv CPU', 'errors']
  const body = servers.filter((s) => summary[s.name]).map((s) => {
    const m = summary[s.name]
    const has = (scenario, text) => (s.scenarios.includes(scenario) ? text : '')
    return [s.label,
      has('throughput', fmt(m.throughputRps)), has('throughput', x(ratio(m.throughputRps, ceil.throughputRps))),
      has('throughput', x(ratio(m.throughputPerCpu, ceil.throughputPerCpu))),
      has('many', fmt(m.manyRps)), has('many', x(ratio(m.manyRps, ceil.manyRps))), has('many', x(ratio(m.manyPerCpu, ceil.manyPerCpu))),
      has('latency', fmt(m.latencyP50, 1)), has('latency', fmt(m.latencyP99, 1)), has('latency', x(ratio(m.latencyP99, ceil.latencyP99))),
      has('idle', fmt(m.idleBytesPerConn)), has('idle', x(ratio(m.idleBytesPerConn, ceil.idleBytesPerConn))),
      has('startup', fmt(m.startupMs, 1)), has('startup', x(ratio(m.startupMs, ceil.startupMs))), has('startup', fmt(m.startupCpuMs, 1)),
      fmt(m.idleRssMiB, 1), has('throughput', fmt(m.loadRssMiB, 1)), has('throughput', x(ratio(m.loadRssMiB, ceil.loadRssMiB))),
      fmt(m.serverCpu, 2), String(m.errors)]
  })
  return [header, ...body]
}

function targetLine (t) {
  const unit = (v, d) => (v == null ? '-' : t.unit === 'ms' ? v.toFixed(d) + ' ms' : v.toFixed(d) + 'x')
  // three decimals for ratios, so a ratio just under its goal never prints as the goal
  const d = t.unit === 'ms' ? 1 : 3
  return {
    name: t.name,
    value: unit(t.value, d),
    cpuValue: t.cpuValue == null ? '' : unit(t.cpuValue, d) + (t.cpuMet ? ' met' : ' NOT met'),
    goal: `${t.op} ${t.unit === 'ms' ? unit(t.goal, 1) : t.goal + 'x'}`,
    status: t.met ? 'met' : 'NOT met'
  }
}

function tables (result) {
  const out = TABLES.map((spec) => rows(result.summary, result.servers, spec)).filter((table) => table.length > 1)
  const m = result.mcp
  if (m !== undefined) {
    const row = (label, s) => [label, fmt(s.startupMs, 1), fmt(s.callsPerSec), fmt(s.callsPerCpuSec), fmt(s.peakRssMiB, 1)]
    out.push([
      [`MCP over stdio (bench/mcp.js: ${m.calls} tools/call add after ${m.warmup}, ${m.window} in flight)`, 'spawn to tools/list ms', 'tools/call per s', 'per CPU second', 'peak RSS MiB'],
      row('linefy daemon --stdio --mcp --demo', m.linefy),
      row('MCP SDK McpServer (stdio)', m.sdk),
      ['linefy / SDK', x(ratio(m.linefy.startupMs, m.sdk.startupMs)), x(ratio(m.linefy.callsPerSec, m.sdk.callsPerSec)),
        x(ratio(m.linefy.callsPerCpuSec, m.sdk.callsPerCpuSec)), x(ratio(m.linefy.peakRssMiB, m.sdk.peakRssMiB))]
    ])
  }
  return out
}

export function textReport (result) {
  const out = []
  for (const table of tables(result)) {
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)))
    const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
    out.push(line(table[0]), ...table.slice(1).map(line), '')
  }
  out.push('targets (linefy = ' + result.linefyLabel + '):')
  for (const t of result.targets.map(targetLine)) {
    out.push(`  ${t.status.padEnd(7)}  ${t.name}: ${t.value} (goal ${t.goal})${t.cpuValue && `; per server CPU: ${t.cpuValue}`}`)
  }
  out.push('', generatorNote(result))
  return out.join('\n')
}

export function markdownReport (result) {
  const md = (r) => '| ' + r.join(' | ') + ' |'
  const out = [
    `Run: ${result.date}, ${result.mode} (${result.params.rounds} round(s), medians), ${result.machine.summary}.`,
    `Server pinned to cpu ${result.params.serverCpu}, load generator to cpu ${result.params.loadgenCpu}.`,
    'Line servers: "vs ceil" is against the better of the two hand-written net servers for that metric.',
    '',
    ...tables(result).flatMap((table) => [md(table[0]), md(table[0].map((_, i) => (i === 0 ? '---' : '---:'))), ...table.slice(1).map(md), '']),
    '| target | measured | goal | status | per server CPU (startup: CPU ms) |', '|---|---:|---:|---|---:|',
    ...result.targets.map(targetLine).map((t) => `| ${t.name} | ${t.value} | ${t.goal} | ${t.status} | ${t.cpuValue} |`),
    '',
    generatorNote(result)
  ]
  return out.join('\n') + '\n'
}

function generatorNote (result) {
  const echo = result.summary['raw-echo']
  const ceil = result.summary['net-chunk'] ?? result.summary['net-baseline']
  const pct = (v) => fmt(v == null ? null : 100 * v)
  return `Generator check: against the raw byte echo the generator drove ${fmt(echo?.throughputRps)} req/s at 16x32 ` +
    `(${x(ratio(echo?.throughputRps, ceil?.throughputRps))} the ceiling); against the ceiling it used ${pct(ceil?.loadgenCpu)}% ` +
    `of its core and waited ${pct(ceil?.loadgenWait)}% of the time for it, so the servers, not the generator, set every rate.`
}
