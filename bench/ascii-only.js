// node bench/ascii-only.js [--rounds N] [--requests N]   (after npm run build)
// What asciiOnly costs when every reply is ASCII, the common case:
// 1. the check alone, per string, for the candidate ways to tell a string is ASCII
//    (with NDJSON linefy checks each write, the replies of one tick together);
// 2. end to end: one connection over a real unix socket pipelining echo calls,
//    asciiOnly off and on in alternating rounds, medians reported. CPU time per
//    request is the figure to read on a shared machine: wall time there also
//    measures the other tenants.
// Bounded: ~10 s on a 2-core machine with the defaults.
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import linefy from '../dist/index.js'
import { asciiJson } from '../dist/src/request/ascii-json.js'

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, requests: { type: 'string', default: '50000' } } })
const rounds = Number(args.rounds)
const requests = Number(args.requests)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const replies = {
  'small (46 B)': '{"jsonrpc":"2.0","id":17,"result":{"slept":5}}',
  '1 KB': JSON.stringify({ jsonrpc: '2.0', id: 1, result: Array.from({ length: 20 }, (_, i) => ({ id: i, text: 'hello world memory record ' + i })) }),
  '64 KB': JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'x'.repeat(64 * 1024) })
}
const NON_ASCII = /[\x7f-\uffff]/
const checks = {
  'regex test': (s) => !NON_ASCII.test(s),
  'charCode loop': (s) => {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return false
    return true
  },
  'byteLength + indexOf(DEL)': (s) => Buffer.byteLength(s) === s.length && s.indexOf('\x7f') === -1,
  'asciiJson (what linefy runs)': (s) => asciiJson(s) === s
}

console.log('1. the check alone, ns per reply (best of 3)')
for (const [name, check] of Object.entries(checks)) {
  const cells = []
  for (const [size, s] of Object.entries(replies)) {
    const n = s.length > 10_000 ? 20_000 : 1_000_000
    let best = Infinity
    for (let r = 0; r < 3; r++) {
      let ok = 0
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n; i++) if (check(s)) ok++
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / n)
      if (ok !== n) throw new Error(`${name} called an ASCII reply non-ASCII`)
    }
    cells.push(`${size}: ${best.toFixed(1)}`)
  }
  console.log(`  ${name.padEnd(30)} ${cells.join('   ')}`)
}

async function round (dir, asciiOnly) {
  const path = join(dir, `${asciiOnly}.sock`)
  const app = linefy({ asciiOnly })
  app.method('echo', (req) => req.params)
  await app.listen({ path })
  const socket = net.connect(path)
  await new Promise((resolve) => socket.once('connect', resolve))
  let batch = ''
  for (let i = 0; i < requests; i++) batch += `{"jsonrpc":"2.0","id":${i},"method":"echo","params":{"text":"hello world","n":${i}}}\n`
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await new Promise((resolve) => {
    let seen = 0
    socket.on('data', (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) seen++
      if (seen === requests) resolve()
    })
    socket.write(batch)
  })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  socket.destroy()
  await app.close()
  // CPU time: wall time on a shared machine also measures the other tenants
  return { rate: requests / seconds, cpuNs: (cpu.user + cpu.system) * 1000 / requests }
}

console.log(`2. end to end: ${requests} pipelined echo calls on one unix socket, ${rounds} rounds each`)
const dir = mkdtempSync(join(os.tmpdir(), 'lf-ascii-'))
try {
  const runs = { false: [], true: [] }
  await round(dir, false)
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 === 0 ? [false, true] : [true, false]) runs[on].push(await round(dir, on))
  }
  const rate = (on) => median(runs[on].map((x) => x.rate))
  const cpu = (on) => median(runs[on].map((x) => x.cpuNs))
  console.log(`  asciiOnly off: ${Math.round(rate(false)).toLocaleString('en')} req/s, ${Math.round(cpu(false))} ns CPU/request`)
  console.log(`  asciiOnly on:  ${Math.round(rate(true)).toLocaleString('en')} req/s, ${Math.round(cpu(true))} ns CPU/request`)
  console.log(`  on/off: ${(rate(true) / rate(false)).toFixed(3)}x req/s, ${(cpu(true) / cpu(false)).toFixed(3)}x CPU per request`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
