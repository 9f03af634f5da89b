// linefy as the reference daemon configures it (compat 'seed', one echo
// method), served through app.serve() on each accepted socket.
import net from 'node:net'
import linefy from '../../dist/index.js'
import { listen } from './lines.mjs'

const app = linefy({ compat: 'seed' })
app.method('echo', (req) => req.params)
await app.ready()
listen(net.createServer({ allowHalfOpen: true }, (socket) => app.serve(socket)), process.argv[2])
