// The startup reference: the least a node:net echo server can load. Answers
// each line with a fixed reply; only the time to the first one is measured.
import net from 'node:net'

net.createServer((socket) => {
  socket.on('data', () => socket.write('{"jsonrpc":"2.0","id":1,"result":{}}\n'))
  socket.on('error', () => {})
}).listen(process.argv[2])
process.on('SIGTERM', () => process.exit(0))
