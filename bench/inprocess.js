// node bench/inprocess.js [--rounds 60] [--batches 200] [--variant plain|hooks] [--against DIST]
// CPU time per request of the whole pipeline, in one process, without a socket:
// 16 in-memory duplex streams each fed 32 pipelined echo lines per chunk, the
// replies written to a sink. Beside it the once-per-chunk ceiling
// (servers/net-chunk.mjs) on the same streams, the chunks decoded as its
// setEncoding('utf8') would, or another build (--against ../other/dist).
// Rounds alternate; the minimum per side is reported, since on a shared
// machine other load only ever adds time. A tool for A/B-testing a change to
// the hot path; `npm run bench` is where the claims are measured.
import { Duplex } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { serveChunks } from './servers/net-chunk.mjs'

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '60' }, batches: { type: 'string', default: '200' }, variant: { type: 'string', default: 'plain' }, against: { type: 'string' } }
})
const CONNS = 16
const DEPTH = 32
const BATCHES = Number(args.batches)
const here = fileURLToPath(new URL('../dist', import.meta.url))

function streams (decode) {
  return Array.from({ length: CONNS }, () => {
    const s = new Duplex({ read () {}, write (_chunk, _enc, cb) { cb() } })
    // setEncoding has no effect on emitted chunks: the ceiling gets them decoded, as a socket would give them
    if (decode) s.emit = function (event, chunk) { return Duplex.prototype.emit.call(this, event, event === 'data' ? chunk.toString() : chunk) }
    return s
  })
}

async function linefyServer (dist) {
  const { default: linefy, Type } = await import(`${dist}/index.js`)
  const app = linefy({ compat: 'seed', logger: false })
  if (args.variant === 'hooks') {
    app.register(async function echo (app) {
      app.addHook('onRequest', () => {})
      app.addHook('preValidation', () => {})
      app.addHook('preHandler', () => {})
      app.addHook('onSend', (_req, result) => result)
      app.addHook('onResponse', () => {})
      app.method('echo', { schema: { params: Type.Object({ x: Type.Number(), s: Type.String() }) } }, (req) => req.params)
    })
  } else {
    app.method('echo', (req) => req.params)
  }
  await app.ready()
  const list = streams(false)
  for (const s of list) app.serve(s)
  return list
}

function ceilingServer () {
  const list = streams(true)
  for (const s of list) serveChunks(s)
  return list
}

const chunks = Array.from({ length: 64 }, (_, c) => {
  let s = ''
  for (let j = 0; j < DEPTH; j++) s += `{"jsonrpc":"2.0","id":${c * DEPTH + j},"method":"echo","params":{"x":1,"s":"hello"}}\n`
  return Buffer.from(s)
})

async function round (list) {
  const t0 = process.cpuUsage()
  for (let b = 0; b < BATCHES; b++) {
    for (let k = 0; k < CONNS; k++) list[k].emit('data', chunks[(b + k) & 63])
    await new Promise(setImmediate)
  }
  const u = process.cpuUsage(t0)
  return (u.user + u.system) * 1000 / (BATCHES * CONNS * DEPTH)
}

const sides = [
  { name: args.against === undefined ? 'once-per-chunk ceiling' : `linefy (${args.against})`, list: args.against === undefined ? ceilingServer() : await linefyServer(args.against) },
  { name: `linefy (${here}), ${args.variant}`, list: await linefyServer(here) }
]
const best = sides.map(() => Infinity)
for (const s of sides) await round(s.list)
for (let r = 0; r < Number(args.rounds); r++) {
  for (let i = 0; i < sides.length; i++) best[i] = Math.min(best[i], await round(sides[i].list))
}
for (let i = 0; i < sides.length; i++) console.log(`${sides[i].name}: ${best[i].toFixed(0)} ns CPU per request`)
console.log(`ratio: ${(best[1] / best[0]).toFixed(3)}x the CPU per request (${(best[0] / best[1]).toFixed(3)}x per CPU)`)
