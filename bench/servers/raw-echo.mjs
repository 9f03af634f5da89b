// Not a JSON-RPC server: it pipes every byte back, so it costs almost nothing
// per request. Its rate bounds what the load generator can drive; it only
// proves the generator is not the bottleneck.
import net from 'node:net'
import { listen } from './lines.mjs'

listen(net.createServer((socket) => {
  socket.on('error', () => {})
  socket.pipe(socket)
}), process.argv[2])
