// Compiled by test/types.test.ts with tsc --noEmit: each line under an
// expect-error directive must be an error, everything else must type-check.
import linefy, { Type, plugin, type InjectHttpOptions, type InjectHttpResponse, type Request } from '../../index.js'

declare module '../../index.js' {
  interface LinefyInstance { store: Map<string, number> }
}

const app = linefy()
app.decorate('store', new Map<string, number>())
app.method('decorated', function () {
  const n: number | undefined = this.store.get('x')
  // @ts-expect-error the decorator holds numbers
  const s: string | undefined = this.store.get('x')
  return [n, s]
})

app.method('recall', { schema: { params: Type.Object({ cue: Type.String(), limit: Type.Optional(Type.Integer()) }) } }, async (req) => {
  const cue: string = req.params.cue
  const limit: number | undefined = req.params.limit
  // @ts-expect-error cue is a string, not a number
  const wrong: number = req.params.cue
  // @ts-expect-error no such param in the schema
  req.params.missing.toString()
  req.signal.throwIfAborted()
  req.log.info({ cue, limit, wrong }, 'recall')
  return null
})

app.method('untyped', (req: Request) => {
  // @ts-expect-error params without a schema are unknown until checked
  req.params.anything.toString()
  return req.params
})

app.register(plugin(async (app) => {
  app.addHook('onRequest', async (req) => { req.log.debug('seen') })
  app.addHook('onSend', async (_req, result) => result)
  app.addHook('onConnection', (conn) => { conn.notify('hello', { id: conn.id }) })
  // @ts-expect-error not a hook name
  app.addHook('onNothing', () => {})
}), { prefix: 'x.' })

// injectHttp: light-my-request's options and response, typed
export async function overHttp (): Promise<number> {
  const res: InjectHttpResponse = await app.injectHttp({ method: 'POST', url: '/', payload: { jsonrpc: '2.0', id: 1, method: 'recall' } })
  const body: { result?: unknown } = res.json()
  // @ts-expect-error the status is a number
  const wrong: string = res.statusCode
  const options: InjectHttpOptions = { url: '/health' }
  await app.injectHttp(options)
  // @ts-expect-error not an option of a request
  await app.injectHttp({ url: '/', bogus: true })
  return res.statusCode + String(body.result ?? wrong).length
}

export default app
