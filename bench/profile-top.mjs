// node bench/profile-top.mjs FILE.cpuprofile [--top 15] [--by frame|file|package]
// Self time per frame (or per source file, or per package) from a V8 CPU profile.
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

// node_modules package, node: internals, or the project's own code
function packageOf (url) {
  if (url === '') return null
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m !== null) return m[1]
  return url.startsWith('node:') ? 'node: (module loading, streams, ...)' : '(project)'
}

/** [{ name, selfMs, pct }] sorted by self time, heaviest first. */
export function topFrames (profile, { top = 15, by = 'frame' } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    const cf = nodes.get(profile.samples[i]).callFrame
    const file = cf.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(process.cwd() + '/', '')
    const key = by === 'file'
      ? file || cf.functionName
      : by === 'package'
        ? packageOf(cf.url) ?? cf.functionName
        : `${cf.functionName || '(anonymous)'} ${file ? `${file}:${cf.lineNumber + 1}` : ''}`.trim()
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, selfMs: ms, pct: (100 * ms) / total }))
}

export function formatTop (rows) {
  return rows.map((r) => `${r.pct.toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(6)} ms  ${r.name}`).join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '15' }, by: { type: 'string', default: 'frame' } }
  })
  if (positionals.length !== 1) {
    console.error('usage: node bench/profile-top.mjs FILE.cpuprofile [--top 15] [--by frame|file|package]')
    process.exit(2)
  }
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8'))
  console.log(formatTop(topFrames(profile, { top: Number(values.top), by: values.by })))
}
