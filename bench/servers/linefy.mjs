// The bare framework: linefy with the reference daemon's wire mode and one
// echo method, but without its logger and lifecycle plugin (`--linefy app`).
import linefy from '../../dist/index.js'

const app = linefy({ compat: 'seed' })
app.method('echo', (req) => req.params)
await app.listen({ path: process.argv[2] })
// --cpu-prof writes its profile only on a normal exit
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
