#!/usr/bin/env node
// Runs @open-rpc/test-coverage against a running linefy daemon, from the
// daemon's own OpenRPC document (rpc.discover): every method is called with
// params made from its schema (or its examples) through the server the
// document names, and each result is checked against the result schema.
//
//   node scripts/openrpc-coverage.js --socket PATH [--skip a,b] [--only a,b]
//
// test-coverage's own CLI speaks HTTP only, and first validates the document
// with @open-rpc/schema-utils-js 1.x, which knows OpenRPC up to 1.2.6: this
// is the same run with a transport over the daemon's unix socket, on the
// OpenRPC 1.3 document as the daemon answers it. Exits 1 when a call fails.
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
/** test-coverage's transport: one linefy client per server URL of the document. */
async function unixTransport (url, method, params) {
  const { protocol, pathname } = new URL(url)
  if (protocol !== 'unix:') throw new Error(`${url}: only unix:// servers are reachable from this script`)
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
// the console reporter prints the report and exits, 1 if any call failed
await testCoverage.default({
  openrpcDocument: doc,
  transport: unixTransport,
  reporters: ['console'],
  skip: list(values.skip),
  only: list(values.only)
})
