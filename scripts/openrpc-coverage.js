#!/usr/bin/env node
// Runs @open-rpc/test-coverage against a running linefy daemon, from the
// daemon's own OpenRPC document (rpc.discover): every method is called with
// params made from its schema (or its examples) through the server the
// document names, and each result is checked against the result schema.
//
//   node scripts/openrpc-coverage.js --socket PATH [--skip a,b] [--only a,b]
//
// Each call goes to the first server the document names: over HTTP when the
// daemon serves it (`linefy daemon --http 127.0.0.1:PORT`), else its unix
// socket. test-coverage's own CLI cannot run this: it first validates the
// document with @open-rpc/schema-utils-js 1.x, which knows OpenRPC up to
// 1.2.6, so this is its engine on the OpenRPC 1.3 document as the daemon
// answers it, with a transport of ours. Exits 1 when a call fails.
import { parseArgs } from 'node:util'
import testCoverage from '@open-rpc/test-coverage'
import { connect } from 'linefy/client'

const usage = 'usage: node scripts/openrpc-coverage.js --socket PATH [--skip a,b] [--only a,b]\n'
let values
try {
  ({ values } = parseArgs({ options: { socket: { type: 'string' }, skip: { type: 'string' }, only: { type: 'string' } } }))
} catch (err) {
  process.stderr.write(`${err.message}\n${usage}`)
  process.exit(2)
}
if (values.socket === undefined) {
  process.stderr.write(usage)
  process.exit(2)
}
const list = (v) => v === undefined ? [] : v.split(',')

const clients = new Map()
let id = 0
/** test-coverage's transport: JSON-RPC POSTed to an http:// server, or one linefy client per unix:// server. */
async function transport (url, method, params) {
  const { protocol, pathname } = new URL(url)
  if (protocol === 'http:') {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) })
    return await res.json()
  }
  if (protocol !== 'unix:') throw new Error(`${url}: only http:// and unix:// servers are reachable from this script`)
  const path = decodeURIComponent(pathname)
  if (!clients.has(path)) clients.set(path, connect(path))
  const client = await clients.get(path)
  try {
    return { result: await client.call(method, params) }
  } catch (err) {
    return { error: { code: err.code, message: err.message, data: err.data } }
  }
}

let doc
try {
  const client = await connect(values.socket)
  doc = await client.call('rpc.discover')
  await client.close()
} catch (err) {
  process.stderr.write(`cannot read the daemon's OpenRPC document: ${err.message}\n`)
  process.exit(1)
}
// test-coverage calls the first server: the HTTP one when there is one
doc.servers.sort((a, b) => Number(b.name === 'http') - Number(a.name === 'http'))
process.stderr.write(`calling ${doc.servers[0].url}\n`)
// the console reporter prints the report and exits, 1 if any call failed
await testCoverage.default({
  openrpcDocument: doc,
  transport,
  reporters: ['console'],
  skip: list(values.skip),
  only: list(values.only)
})
