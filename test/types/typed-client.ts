// Compiled by test/types.test.ts with tsc --noEmit: each line under an
// expect-error directive must be an error, everything else must type-check.
import linefy, { Type, type MethodsOf } from '../../index.js'
import { connect } from '../../client.js'

const Add = { params: Type.Object({ a: Type.Number(), b: Type.Number() }), result: Type.Number() }

// chained method() calls accumulate the table in the instance's type
const app = linefy()
  .method('add', { schema: Add }, (req) => req.params.a + req.params.b)
  .method('echo', (req) => req.params)
  .method('stats', { schema: { result: Type.Object({ count: Type.Integer() }) } }, async () => ({ count: 3 }))
  .method('memory.recall', { schema: { params: Type.Object({ cue: Type.String() }), result: Type.Union([Type.String(), Type.Null()]) } }, (req) => req.params.cue === '' ? null : req.params.cue)
  .addHook('onRequest', async () => {})

// the handler's return type is checked against the result schema
// @ts-expect-error a string is not the number the result schema promises
app.method('wrong', { schema: { result: Type.Number() } }, () => 'three')
// @ts-expect-error an async handler is checked too
app.method('wrongAsync', { schema: { result: Type.Object({ count: Type.Integer() }) } }, async () => ({ count: 'x' }))
app.method('noResultSchema', { schema: { params: Type.Object({ x: Type.String() }) } }, (req) => req.params.x.length)

export type Api = MethodsOf<typeof app>

export async function typedByInstance (): Promise<void> {
  const client = await connect<typeof app>('/tmp/x.sock')
  const sum: number = await client.call('add', { a: 1, b: 2 })
  const stats: { count: number } = await client.call('stats')
  const recalled: string | null = await client.call('memory.recall', { cue: 'x' }, { timeout: 100 })
  const echoed: unknown = await client.call('echo', [1, 2])
  // @ts-expect-error no such method
  await client.call('ad', { a: 1, b: 2 })
  // @ts-expect-error a is a number
  await client.call('add', { a: '1', b: 2 })
  // @ts-expect-error b is missing
  await client.call('add', { a: 1 })
  // @ts-expect-error add takes params
  await client.call('add')
  // @ts-expect-error the result is a number
  const s: string = await client.call('add', { a: 1, b: 2 })
  console.log(sum, stats, recalled, echoed, s)
}

export async function typedByTable (): Promise<void> {
  const client = await connect<Api>('/tmp/x.sock')
  const sum: number = await client.call('add', { a: 1, b: 2 })
  // @ts-expect-error no such method
  await client.call('nope')
  console.log(sum)
}

export async function untyped (): Promise<void> {
  const client = await connect('/tmp/x.sock')
  const anything: unknown = await client.call('whatever', { any: 'params' })
  await client.call('no-params')
  // @ts-expect-error an untyped result is unknown until checked
  const n: number = await client.call('whatever')
  console.log(anything, n)
}
