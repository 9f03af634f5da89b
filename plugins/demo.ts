import { setTimeout as delay } from 'node:timers/promises'
import { Type } from '@sinclair/typebox'
import type { MethodsOf } from '../src/core/api.js'
import type { LinefyInstance } from '../src/core/instance.js'

const SleepParams = Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 60_000 }) })
const Slept = Type.Object({ slept: Type.Integer() })
// fail may be called with no params at all
const FailParams = Type.Union([Type.Undefined(), Type.Object({ message: Type.Optional(Type.String()) })])
const AddParams = Type.Object({ a: Type.Number(), b: Type.Number() })

/** Adds the demo methods to `app`; the instance type returned carries them (DemoApi). */
export function demoMethods (app: LinefyInstance) {
  return app
    .method('echo', { summary: 'Returns its params as they came.', mcp: { annotations: { readOnlyHint: true } } }, (req) => req.params)
    .method('sleep', {
      schema: { params: SleepParams, result: Slept },
      summary: 'Waits ms milliseconds, then says how long.',
      description: 'Stops early, answering -32800, when the request is cancelled, and -32003 when the caller\'s timeout passes first.',
      examples: [{ name: 'ten milliseconds', params: { ms: 10 }, result: { slept: 10 } }],
      mcp: { description: 'Waits ms milliseconds (0 to 60000), reporting progress at the start and half way; stops early when cancelled.', annotations: { readOnlyHint: true } }
    }, async (req) => {
      // an abort (cancel, timeout, client gone) rejects at once; the reply
      // for it has already been decided by the pipeline
      const ms = req.params.ms
      const half = Math.floor(ms / 2)
      // heard only by a caller that asked (MCP's progressToken); none at the
      // end, where the reply says as much: the MCP SDK's client handles a
      // notification a microtask after a reply read with it, and would find
      // its request already gone
      req.progress(0, ms)
      await delay(half, undefined, { signal: req.signal })
      req.progress(half, ms)
      await delay(ms - half, undefined, { signal: req.signal })
      return { slept: ms }
    })
    .method('fail', {
      schema: { params: FailParams, result: Type.Never() },
      summary: 'Always fails: answers -32001 with the message given.',
      mcp: { description: 'Always fails, with the message given or "demo failure".' }
    }, (req) => {
      throw new Error(req.params?.message ?? 'demo failure')
    })
    .method('add', { schema: { params: AddParams, result: Type.Number() }, summary: 'Adds a and b.', mcp: { annotations: { readOnlyHint: true, idempotentHint: true } } }, (req) => {
      const sum = req.params.a + req.params.b
      // Infinity would go out as null, which is not the sum
      if (!Number.isFinite(sum)) throw new RangeError('a + b is too large for a JSON number: use smaller operands')
      return sum
    })
}

/** The demo's method table, for a typed client: `connect<DemoApi>(path)`. */
export type DemoApi = MethodsOf<ReturnType<typeof demoMethods>>

/** Methods to try the daemon with: echo, sleep, fail, add. */
export default async function demo (app: LinefyInstance): Promise<void> {
  demoMethods(app)
}
