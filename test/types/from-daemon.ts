// Compiled by test/types.test.ts with tsc --noEmit: each line under an
// expect-error directive must be an error, everything else must type-check.
// fixtures/demo-api.d.ts is what `linefy types` writes for the reference
// daemon (test/cli-discovery.test.ts checks it byte for byte).
import { connect } from '../../client.js'
import type { DemoApi } from '../../index.js'
import type { Api } from '../../fixtures/demo-api.js'

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

// the types written from the daemon's document are the types of the code that serves it
export const sameTable: Same<Api, DemoApi> = true
export const sameSleep: Same<Api['sleep'], DemoApi['sleep']> = true
export const sameFail: Same<Api['fail'], DemoApi['fail']> = true
// @ts-expect-error the check can fail: add's params are not sleep's
export const notSame: Same<Api['add'], DemoApi['sleep']> = true

export async function typedFromDaemon (): Promise<void> {
  const client = await connect<Api>('/tmp/x.sock')
  const sum: number = await client.call('add', { a: 1, b: 2 })
  const slept: { slept: number } = await client.call('sleep', { ms: 10 }, { timeout: 50 })
  await client.call('fail')
  await client.call('fail', { message: 'boom' })
  await client.call('echo', ['anything'])
  // @ts-expect-error ms is a number
  await client.call('sleep', { ms: '10' })
  // @ts-expect-error no such method
  await client.call('slep', { ms: 10 })
  // @ts-expect-error sleep takes params
  await client.call('sleep')
  // @ts-expect-error the result is { slept }
  const wrong: number = await client.call('sleep', { ms: 1 })
  console.log(sum, slept, wrong)
}
