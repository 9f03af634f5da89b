// Fastify itself serving the same JSON-RPC POST handler on a socket file: its
// JSON body parser, one route, the reply serialised with JSON.stringify
// (the result is arbitrary JSON, so no response schema), logger off.
import Fastify from 'fastify'

const HANDLERS = { echo: (params) => params }

const app = Fastify({ logger: false })
app.post('/', async (req) => {
  const msg = req.body
  const fn = HANDLERS[msg?.method]
  if (fn === undefined) return { jsonrpc: '2.0', id: msg?.id ?? null, error: { code: -32601, message: 'method not found' } }
  return { jsonrpc: '2.0', id: msg.id, result: fn(msg.params) }
})
await app.listen({ path: process.argv[2] })
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
