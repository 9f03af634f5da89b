// linefy's HTTP transport: the bare app of linefy.mjs (seed wire mode, one
// echo method) listening for JSON-RPC POSTs on a socket file. The idle
// scenario holds 10,000 connections, so the connection cap is raised.
import linefy from '../../dist/index.js'

const app = linefy({ compat: 'seed' })
app.method('echo', (req) => req.params)
await app.listen({ http: { path: process.argv[2], maxConnections: 20_000 } })
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
