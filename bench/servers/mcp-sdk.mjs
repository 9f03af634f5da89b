// The MCP SDK's low-level Server, one per connection as the SDK expects (a
// Protocol owns exactly one transport). StdioServerTransport takes its input
// and output streams as arguments, so the socket itself serves as both: the
// SDK's own framing and writes run unchanged over the unix socket.
import net from 'node:net'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import * as z from 'zod/v4'
import { listen } from './lines.mjs'

// A custom method registers like any MCP one: the SDK dispatches on the
// schema's `method` literal and checks no capability for unknown methods.
const EchoRequest = z.object({ method: z.literal('echo'), params: z.looseObject({}) })

listen(net.createServer((socket) => {
  const server = new Server({ name: 'bench', version: '0.0.0' }, { capabilities: {} })
  server.setRequestHandler(EchoRequest, (req) => req.params)
  socket.on('error', () => {})
  socket.on('close', () => { server.close().catch(() => {}) })
  server.connect(new StdioServerTransport(socket, socket)).catch(() => socket.destroy())
}), process.argv[2])
