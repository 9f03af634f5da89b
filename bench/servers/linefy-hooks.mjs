// What a plugin author runs: one trivial synchronous hook of each request
// kind and a TypeBox schema on the params, all inside an encapsulated plugin.
import linefy, { Type } from '../../dist/index.js'

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
await app.listen({ path: process.argv[2] })
// --cpu-prof writes its profile only on a normal exit
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
