// Builds the C load generator and drives it on cpu 0.
import { execFileSync } from 'node:child_process'
import { mkdirSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { spawnPinned, stop } from './procs.js'

const SRC = fileURLToPath(new URL('../loadgen.c', import.meta.url))
const DIR = fileURLToPath(new URL('../.build/', import.meta.url))
const BIN = DIR + 'loadgen'
export const LOADGEN_CPU = 0

function mtime (p) {
  try { return statSync(p).mtimeMs } catch { return 0 }
}

export function buildLoadgen () {
  if (mtime(BIN) > mtime(SRC)) return BIN
  mkdirSync(DIR, { recursive: true })
  execFileSync('cc', ['-O2', '-Wall', '-o', BIN, SRC], { stdio: 'inherit' })
  return BIN
}

function firstLine (child) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout })
    rl.once('line', (line) => {
      rl.close()
      resolve(JSON.parse(line))
    })
    child.exited.then(({ code, signal }) => reject(new Error(`loadgen exited (${code ?? signal}) without a result: ${child.stderrText().trim()}`)))
  })
}

const protocolArg = (protocol) => (protocol === 'http' ? ['http'] : [])

/** conns x depth pipelined echo requests (lines, or HTTP POSTs); resolves with the generator's JSON line. */
export async function load (sock, { conns, depth, warmup, duration, protocol }) {
  const child = spawnPinned(LOADGEN_CPU, [BIN, sock, conns, depth, warmup, duration, ...protocolArg(protocol)].map(String))
  const timer = setTimeout(() => child.kill('SIGKILL'), (warmup + duration + 20) * 1000)
  try {
    return await firstLine(child)
  } finally {
    clearTimeout(timer)
    await stop(child)
  }
}

/** Opens `conns` connections and holds them; `release()` closes them all. */
export async function holdIdle (sock, conns, protocol) {
  const child = spawnPinned(LOADGEN_CPU, [BIN, sock, conns, 0, 0, 0, ...protocolArg(protocol)].map(String), { stdio: ['pipe', 'pipe', 'pipe'] })
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  const release = async () => {
    clearTimeout(timer)
    child.stdin.end()
    await stop(child)
  }
  try {
    return { info: await firstLine(child), release }
  } catch (err) {
    await release()
    throw err
  }
}
