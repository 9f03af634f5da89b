import { randomBytes } from 'node:crypto'
import t from 'tap'
import { startCli } from './helpers/process.js'

const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } } }
const call = (id: number, name: string, args: unknown) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })

/** `linefy daemon --stdio --mcp --demo`, written to line by line as a host that misbehaves would. */
async function session (t: Parameters<Parameters<typeof t.test>[1]>[0], extra: string[] = []) {
  const child = startCli(t, ['daemon', '--stdio', '--mcp', '--demo', '--log-level', 'silent', ...extra])
  const send = (m: object | string | Buffer): void => { child.proc.stdin?.write(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m) + '\n') }
  send(init)
  t.equal((await child.stdout.next()).result.protocolVersion, '2025-11-25')
  send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  return { child, send, next: () => child.stdout.next() }
}

t.test('garbage lines inside a session: an error for each, the session and its initialize kept', async (t) => {
  const { child, send, next } = await session(t)
  let lines = 0
  for (let i = 0; i < 64; i++) {
    // 4 KiB of random bytes per line, no newline inside
    const noise = randomBytes(4096)
    for (let j = 0; j < noise.length; j++) if (noise[j] === 10) noise[j] = 32
    send(Buffer.concat([noise, Buffer.from('\n')]))
    lines++
  }
  send(call(1, 'add', { a: 2, b: 3 }))
  const replies = []
  for (let i = 0; i <= lines; i++) replies.push(await next())
  const last = replies.pop()
  t.ok(replies.every((r) => r.id === null && r.error?.code === -32700), `${lines} lines of noise (256 KiB): each a -32700 parse error, never a result`)
  t.same(last, { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: '5' }], structuredContent: { result: 5 } } }, 'then a call is served in the same session')
  child.proc.stdin?.end()
  t.same(await child.exit(), { code: 0, signal: null })
})

t.test('protocol misuse: stray replies, cancels of nothing, an unknown tool, arguments not an object, no tool name', async (t) => {
  const { child, send, next } = await session(t)
  send({ jsonrpc: '2.0', id: 'never-asked', result: { x: 1 } })
  send({ jsonrpc: '2.0', id: 77, error: { code: -1, message: 'no' } })
  send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 12345 } })
  send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: 'bogus' })
  send(call(1, 'nope', {}))
  send(call(2, 'add', [2, 3]))
  send(call(3, 'add', 'two and three'))
  send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { arguments: {} } })
  send(call(5, 'add', { a: 1, b: 1 }))
  // an MCP session answers as each call finishes, not in the order they came
  const replies = new Map<unknown, any>()
  for (let i = 0; i < 6; i++) { const r = await next(); replies.set(r.id, r) }
  t.match(replies.get(null), { error: { code: -32600 } }, 'a cancel whose params are not an object is an invalid request')
  t.match(replies.get(1), { error: { code: -32602, message: /unknown tool 'nope'/ } })
  t.match(replies.get(2), { error: { code: -32602, message: 'invalid params at /arguments: Expected object' } }, 'arguments as an array')
  t.match(replies.get(3), { error: { code: -32602, message: 'invalid params at /arguments: Expected object' } }, 'arguments as a string')
  t.match(replies.get(4), { error: { code: -32602, message: /name/ } }, 'no tool name')
  t.match(replies.get(5), { id: 5, result: { structuredContent: { result: 2 } } }, 'replies to nothing asked and cancels of nothing got no answer; the session serves on')
  child.proc.stdin?.end()
  t.same(await child.exit(), { code: 0, signal: null })
})

t.test('huge and deeply nested arguments: bounded by maxLineBytes, refused without a crash, the next call served', async (t) => {
  const { child, send, next } = await session(t, ['--max-line-bytes', String(1024 * 1024)])
  // 8 MiB of arguments on one line: over the 1 MiB cap
  send(JSON.stringify(call(1, 'echo', { blob: 'x'.repeat(8 * 1024 * 1024) })) + '\n')
  t.match(await next(), { id: null, error: { code: -32600, message: /maxLineBytes/ } }, 'one error for the over-long line')
  // just under the cap: taken and echoed whole
  const fits = 'y'.repeat(1024 * 1024 - 200)
  send(call(2, 'echo', { blob: fits }))
  const echoed = await next()
  t.equal(echoed.result?.structuredContent?.blob?.length, fits.length, 'a call of just under 1 MiB is served')
  // nested 100,000 deep, within the cap
  const depth = 100_000
  send('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"a":' + '['.repeat(depth) + ']'.repeat(depth) + '}}}\n')
  const deep = await next()
  t.same(deep, { jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'result could not be serialized to JSON: Maximum call stack size exceeded' }], isError: true } },
    'parsed, run, and its echo too deep to write back: a tool error the model reads, not a crash')
  send(call(4, 'add', { a: 1, b: 2 }))
  t.match(await next(), { id: 4, result: { structuredContent: { result: 3 } } }, 'and the session serves on')
  child.proc.stdin?.end()
  t.same(await child.exit(), { code: 0, signal: null })
})
