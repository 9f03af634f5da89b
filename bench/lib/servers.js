// The servers under test and how to start one: spawned on cpu 1, timed from
// spawn to the first echo reply.
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { schedSeconds, spawnPinned, stop } from './procs.js'

export const SERVER_CPU = 1
const dir = (rel) => fileURLToPath(new URL(rel, import.meta.url))
const script = (name) => (sock) => [process.execPath, dir(`../servers/${name}.mjs`), sock]
const CLI = dir('../../dist/linefy.cjs')

const LOAD = ['latency', 'many', 'throughput']
const ALL = ['startup', 'idle', ...LOAD]

/**
 * kind: 'ceiling' are the hand-written net servers every ratio is taken
 * against (per metric the better of the two),
 * 'peer' the libraries linefy must beat, 'linefy' ours, 'check' the raw byte
 * echo that only bounds what the load generator can drive. protocol 'http':
 * JSON-RPC POSTs instead of lines, compared against Fastify in a table of
 * their own.
 */
export function serverList (linefy = 'daemon') {
  // 'daemon': the reference daemon; 'app': a bare linefy app with the same echo
  const daemon = linefy === 'daemon'
    ? { name: 'linefy', label: 'linefy daemon --demo', cmd: (sock) => [process.execPath, CLI, 'daemon', '--demo', '--socket', sock] }
    : { name: 'linefy', label: 'linefy (bare app)', cmd: script('linefy') }
  return [
    { name: 'net-baseline', label: 'hand-written net (flush per tick)', kind: 'ceiling', cmd: script('net-baseline'), scenarios: ALL },
    { name: 'net-chunk', label: 'hand-written net (write per chunk)', kind: 'ceiling', cmd: script('net-chunk'), scenarios: ALL },
    { name: 'json-rpc-2.0', label: 'json-rpc-2.0', kind: 'peer', cmd: script('json-rpc-2.0'), scenarios: ALL },
    { name: 'jayson', label: 'jayson', kind: 'peer', cmd: script('jayson'), scenarios: ALL },
    { name: 'mcp-sdk', label: 'MCP SDK Server', kind: 'peer', cmd: script('mcp-sdk'), scenarios: ALL },
    { ...daemon, kind: 'linefy', scenarios: ALL },
    { name: 'linefy-hooks', label: 'linefy + 5 hooks + schema', kind: 'linefy', cmd: script('linefy-hooks'), scenarios: ALL },
    { name: 'raw-echo', label: 'raw byte echo (generator check)', kind: 'check', cmd: script('raw-echo'), scenarios: ['throughput', 'many'] },
    { name: 'fastify-http', label: 'Fastify (same JSON-RPC POST handler)', kind: 'http-reference', protocol: 'http', cmd: script('fastify-http'), scenarios: ALL },
    { name: 'linefy-http', label: 'linefy HTTP transport (bare app)', kind: 'linefy', protocol: 'http', cmd: script('linefy-http'), scenarios: ALL }
  ]
}

const BODY = '{"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":1,"s":"hello"}}'
const PROBE = {
  line: BODY + '\n',
  http: `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`
}

function probeOnce (sock, protocol) {
  return new Promise((resolve) => {
    const s = net.connect(sock)
    let got = ''
    s.setEncoding('utf8')
    s.on('connect', () => s.write(PROBE[protocol]))
    s.on('data', (d) => {
      got += d
      if (protocol === 'line' ? got.includes('\n') : got.includes('"result"')) {
        s.destroy()
        resolve(true)
      }
    })
    s.on('error', () => resolve(false))
    s.on('close', () => resolve(false))
  })
}

/** Starts a server; resolves once it answers an echo, with the wall and CPU time that took. */
export async function startServer (def, sock, timeoutMs = 15_000) {
  const t0 = performance.now()
  const child = spawnPinned(SERVER_CPU, def.cmd(sock))
  let exited = false
  child.exited.then(() => { exited = true })
  while (!exited) {
    if (await probeOnce(sock, def.protocol ?? 'line')) {
      return { child, startupMs: performance.now() - t0, startupCpuMs: schedSeconds(child.pid).cpu * 1000 }
    }
    if (performance.now() - t0 > timeoutMs) break
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await stop(child)
  throw new Error(`${def.name} did not answer within ${timeoutMs} ms: ${child.stderrText().trim()}`)
}
