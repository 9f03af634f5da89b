// bare-net.mjs as CommonJS, the module system of the CLI's command (dist/linefy.cjs).
const net = require('node:net')

net.createServer((socket) => {
  socket.on('data', () => socket.write('{"jsonrpc":"2.0","id":1,"result":{}}\n'))
  socket.on('error', () => {})
}).listen(process.argv[2])
process.on('SIGTERM', () => process.exit(0))
