// What a plugin author runs: one trivial synchronous hook of each request
// kind and a TypeBox schema on the params, all inside an encapsulated plugin.
import net from 'node:net'
import linefy, { Type } from '../../dist/index.js'
import { listen } from './lines.mjs'

const app = linefy({ compat: 'seed' })
app.register(async function echo (app) {
  app.addHook('onRequest', (req) => {})
  app.addHook('preValidation', (req) => {})
  app.addHook('preHandler', (req) => {})
  app.addHook('onSend', (req, result) => result)
  app.addHook('onResponse', (req) => {})
  app.method('echo', {
    schema: { params: Type.Object({ x: Type.Number(), s: Type.String() }) }
  }, (req) => req.params)
})
await app.ready()
listen(net.createServer({ allowHalfOpen: true }, (socket) => app.serve(socket)), process.argv[2])
