import t from 'tap'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Duplex, PassThrough } from 'node:stream'
import linefy, { contentLength, type LinefyInstance } from '../index.js'
import { ContentLengthDecoder } from '../plugins/content-length.js'
import { NdjsonDecoder } from '../plugins/ndjson.js'

interface Collected { frames: string[], oversize: number[] }

function decodeChunks (chunks: Buffer[], max: number): Collected {
  const out: Collected = { frames: [], oversize: [] }
  const decoder = new NdjsonDecoder(max, {
    frame: (buf) => { out.frames.push(buf.toString()) },
    oversize: (bytes) => { out.oversize.push(bytes) },
    malformed: () => { throw new Error('ndjson never reports malformed frames') }
  })
  for (const c of chunks) decoder.push(c)
  decoder.end()
  return out
}

/** Cuts a buffer at the given fractions: every chunking is reachable. */
function cut (buf: Buffer, fractions: number[]): Buffer[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * buf.length)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let start = 0
  for (const p of points) {
    if (p > start) chunks.push(buf.subarray(start, p))
    start = Math.max(start, p)
  }
  chunks.push(buf.subarray(start))
  return chunks
}

// A line as a client sends it: any text without a newline, not blank, not ending in \r.
const line = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 })
  .filter((s) => !s.includes('\n') && s.trim() !== '' && !s.endsWith('\r') && !/^[ \t\r]*$/.test(s))
const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 })

t.test('for any chunking of any lines, the frames out equal the lines in', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(line, { maxLength: 20 }), fractions, fc.boolean(), (lines, cuts, crlf) => {
    const wire = Buffer.from(lines.map((l) => l + (crlf ? '\r\n' : '\n')).join(''))
    const out = decodeChunks(cut(wire, cuts), 1 << 20)
    assert.deepEqual(out.frames, lines)
    assert.deepEqual(out.oversize, [])
  }), { numRuns: 300 }))
})

t.test('an over-long line is reported once whatever the chunking, and the next line is intact', async (t) => {
  const short = line.filter((l) => Buffer.byteLength(l) <= 32)
  t.doesNotThrow(() => fc.assert(fc.property(fc.integer({ min: 33, max: 200 }), short, fractions, (size, after, cuts) => {
    const long = 'x'.repeat(size)
    const wire = Buffer.from('{"ok":1}\n' + long + '\n' + after + '\n')
    const out = decodeChunks(cut(wire, cuts), 32)
    assert.equal(out.oversize.length, 1)
    assert.deepEqual(out.frames, ['{"ok":1}', after])
  }), { numRuns: 300 }))
})

t.test('a trailing line without its newline still counts at end of stream', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), fractions, (lines, cuts) => {
    const out = decodeChunks(cut(Buffer.from(lines.join('\n')), cuts), 1 << 20)
    assert.deepEqual(out.frames, lines)
  }), { numRuns: 200 }))
})

const id = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean(), fc.constant(undefined))
const envelope = fc.record({
  jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('1.0'), fc.constant(undefined), fc.integer()),
  id,
  method: fc.oneof(fc.constantFrom('echo', 'fail', 'nope', 'notifications/cancelled', '$/cancelRequest'), fc.string({ maxLength: 8 }), fc.integer()),
  params: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 })),
  type: fc.oneof(fc.constant(undefined), fc.constantFrom('status', 'nope'))
}, { requiredKeys: [] })
const anyLine = fc.oneof(
  envelope.map((e) => JSON.stringify(e)),
  fc.array(envelope, { maxLength: 4 }).map((b) => JSON.stringify(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\n'))
)

/** What the spec says must get no reply: a valid notification, or nothing at all. */
function expectsNoReply (text: string): boolean {
  if (/^[ \t\r]*$/.test(text)) return true
  let msg: unknown
  try { msg = JSON.parse(text) } catch { return false }
  const isNotification = (m: unknown): boolean => {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return false
    const r = m as Record<string, unknown>
    if (r.jsonrpc === undefined && r.type !== undefined) return false
    return r.jsonrpc === '2.0' && r.id === undefined && typeof r.method === 'string' &&
      (r.params === undefined || (r.params !== null && typeof r.params === 'object'))
  }
  if (Array.isArray(msg)) return msg.length > 0 && msg.every(isNotification)
  return isNotification(msg)
}

t.test('for any input line: exactly one reply, or none for a notification, and never a throw', async (t) => {
  const app = linefy()
  app.method('echo', async (req) => req.params)
  app.method('fail', async () => { throw new Error('boom') })
  app.control('status', () => ({ ok: true }))
  t.teardown(() => app.close())
  await app.ready()

  await t.resolves(fc.assert(fc.asyncProperty(fc.array(anyLine, { minLength: 1, maxLength: 8 }), async (lines) => {
    const replies = await app.inject(lines)
    assert.equal(replies.length, lines.length)
    lines.forEach((text, i) => {
      const reply = replies[i]
      if (expectsNoReply(text)) {
        assert.equal(reply, undefined, `no reply to ${text}`)
        return
      }
      assert.notEqual(reply, undefined, `a reply to ${text}`)
      for (const r of Array.isArray(reply) ? reply : [reply]) {
        assert.ok(r !== null && typeof r === 'object', 'each reply is an object')
        if ((r as { jsonrpc?: unknown }).jsonrpc !== undefined) {
          assert.equal((r as { jsonrpc: unknown }).jsonrpc, '2.0')
          assert.ok('result' in (r as object) !== 'error' in (r as object), 'exactly one of result and error')
        } else {
          assert.equal(typeof (r as { ok?: unknown }).ok, 'boolean', 'a control reply carries ok')
        }
      }
    })
  }), { numRuns: 200 }))
  t.same(app.activity.connections, 0, 'every fake connection was released')
})

// Content-Length framing (LSP): the same properties, and the ways a header can be wrong.

interface Decoded { frames: string[], oversize: number[], malformed: string[] }

function decodeMessages (chunks: Buffer[], max: number, bound?: (held: number) => void): Decoded {
  const out: Decoded = { frames: [], oversize: [], malformed: [] }
  const decoder = new ContentLengthDecoder(max, {
    frame: (buf) => { out.frames.push(buf.toString('latin1')) },
    oversize: (bytes) => { out.oversize.push(bytes) },
    malformed: (reason) => { out.malformed.push(reason) }
  })
  for (const c of chunks) {
    decoder.push(c)
    bound?.(held(decoder))
  }
  decoder.end()
  return out
}

/** Bytes the decoder keeps between pushes (white-box: what memory it holds on to). */
function held (decoder: ContentLengthDecoder): number {
  const d = decoder as unknown as Record<string, unknown>
  let n = 0
  for (const v of Object.values(d)) {
    if (Buffer.isBuffer(v)) n += v.length
    else if (Array.isArray(v)) for (const b of v) if (Buffer.isBuffer(b)) n += b.length
  }
  return n
}

// bodies as latin1 strings: any byte, \r\n\r\n included
const body = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 })
const otherHeader = fc.constantFrom('Content-Type: application/vscode-jsonrpc; charset=utf-8', 'X-Trace: 1', 'content-type:x')
const lengthName = fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH', 'Content-length')
const spacing = fc.constantFrom('', ' ', '  ', '\t')

/** One well-formed message: any headers around one Content-Length, then the body. */
const message = fc.record({ body, before: fc.array(otherHeader, { maxLength: 2 }), after: fc.array(otherHeader, { maxLength: 2 }), name: lengthName, pre: spacing, post: spacing })
  .map((m) => ({ body: m.body, wire: [...m.before, `${m.name}:${m.pre}${Buffer.byteLength(m.body, 'latin1')}${m.post}`, ...m.after].join('\r\n') + '\r\n\r\n' + m.body }))
const wireOf = (s: string): Buffer => Buffer.from(s, 'latin1')

t.test('Content-Length: for any chunking of any messages, the bodies out equal the bodies in', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(message, { maxLength: 12 }), fractions, (messages, cuts) => {
    const out = decodeMessages(cut(wireOf(messages.map((m) => m.wire).join('')), cuts), 1 << 20)
    assert.deepEqual(out, { frames: messages.map((m) => m.body), oversize: [], malformed: [] })
  }), { numRuns: 300 }))
})

t.test('Content-Length: a body over the cap is reported once whatever the chunking, one at the cap is not, and the next message is intact', async (t) => {
  const small = message.filter((m) => Buffer.byteLength(m.body, 'latin1') <= 32)
  t.doesNotThrow(() => fc.assert(fc.property(fc.integer({ min: 33, max: 400 }), small, fractions, (size, next, cuts) => {
    const atCap = 'a'.repeat(32)
    const long = 'x'.repeat(size)
    const wire = `Content-Length: 32\r\n\r\n${atCap}Content-Length: ${size}\r\n\r\n${long}${next.wire}`
    const out = decodeMessages(cut(wireOf(wire), cuts), 32)
    assert.deepEqual(out, { frames: [atCap, next.body], oversize: [size], malformed: [] })
  }), { numRuns: 300 }))
})

// header blocks a client may get wrong
const badLength = fc.oneof(
  fc.integer({ min: 1, max: 1e6 }).map((n) => `-${n}`),
  fc.constantFrom('', 'abc', '1e3', '0x10', '12 34', '+5', '5.0', '99999999999999999999', '9'.repeat(400)),
  fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 30n }).map(String)
)
const badHeader = fc.oneof(
  badLength.map((v) => `Content-Length: ${v}\r\n\r\n`),
  fc.constant('Content-Type: application/json\r\n\r\n'),
  fc.constant('\r\n\r\n'),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 19 })).map(([a, b]) => `Content-Length: ${a}\r\nContent-Length: ${b}\r\n\r\n`),
  // a flood: one header line or many, past the 8192-byte header cap, terminated or not
  fc.tuple(fc.integer({ min: 8193, max: 12_000 }), fc.boolean(), fc.boolean()).map(([n, many, ended]) =>
    (many ? 'X-A: b\r\n'.repeat(Math.ceil(n / 8)).slice(0, n) : 'X-Padding: ' + 'p'.repeat(n)) + (ended ? '\r\n\r\nContent-Length: 2\r\n\r\n{}' : ''))
)

t.test('Content-Length: any malformed header block is reported exactly once, the same whatever the chunking, and nothing after it is read', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(message, { maxLength: 3 }), badHeader, fc.array(message, { maxLength: 3 }), fractions, (before, bad, after, cuts) => {
    const wire = wireOf(before.map((m) => m.wire).join('') + bad + after.map((m) => m.wire).join(''))
    const whole = decodeMessages([wire], 1 << 20)
    const chunked = decodeMessages(cut(wire, cuts), 1 << 20)
    assert.deepEqual(chunked, whole, 'chunking changes nothing')
    assert.deepEqual(chunked.frames, before.map((m) => m.body))
    assert.equal(chunked.malformed.length, 1)
    assert.deepEqual(chunked.oversize, [])
  }), { numRuns: 300 }))
})

t.test('Content-Length: a stream that breaks off inside a header or a body is reported once at its end', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(message, { maxLength: 3 }), message, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fractions, (before, last, keep, cuts) => {
    const partial = wireOf(last.wire)
    const tail = partial.subarray(0, Math.max(1, Math.floor(keep * partial.length)))
    const out = decodeMessages(cut(Buffer.concat([wireOf(before.map((m) => m.wire).join('')), tail]), cuts), 1 << 20)
    assert.deepEqual(out, { frames: before.map((m) => m.body), oversize: [], malformed: ['stream ended inside a message'] })
  }), { numRuns: 300 }))
})

t.test('Content-Length: for any bytes at all, the decoder never throws, holds no more than a header block and one body, and chunking changes nothing', async (t) => {
  const max = 64
  const noise = fc.array(fc.oneof(
    message.map((m) => m.wire),
    badHeader,
    fc.constantFrom('Content-Length: ', '\r\n', '\r\n\r\n', 'Content-Length: 100\r\n\r\n', '\n\n'),
    body
  ), { maxLength: 10 }).map((parts) => wireOf(parts.join('')))
  t.doesNotThrow(() => fc.assert(fc.property(noise, fractions, (wire, cuts) => {
    const whole = decodeMessages([wire], max)
    const chunked = decodeMessages(cut(wire, cuts), max, (n) => assert.ok(n <= 8192 + 3 + max, `held ${n} bytes`))
    assert.deepEqual(chunked, whole)
    assert.ok(chunked.malformed.length <= 1)
  }), { numRuns: 500 }))
})

/** One client session over a served stream: the bytes it sent, in any chunks, then its end. */
async function session (app: LinefyInstance, chunks: Buffer[]): Promise<Array<Record<string, any>>> {
  const toServer = new PassThrough()
  const toClient = new PassThrough()
  const out: Buffer[] = []
  toClient.on('data', (c: Buffer) => out.push(c))
  const ended = new Promise((resolve) => toClient.on('end', resolve))
  app.serve(Duplex.from({ readable: toServer, writable: toClient }))
  for (const c of chunks) toServer.write(c)
  toServer.end()
  await ended
  const replies: Array<Record<string, any>> = []
  let rest = Buffer.concat(out)
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n')
    const n = Number(/^Content-Length: (\d+)$/.exec(rest.subarray(0, end).toString())?.[1])
    replies.push(JSON.parse(rest.subarray(end + 4, end + 4 + n).toString()))
    rest = rest.subarray(end + 4 + n)
  }
  return replies
}

t.test('Content-Length over a served connection: exactly one reply per message, one error for a bad header or a cut-off body and then a clean close, never a throw', async (t) => {
  const app = linefy({ maxLineBytes: 256 })
  app.register(contentLength)
  app.method('echo', async (req) => req.params)
  t.teardown(() => app.close())
  await app.ready()

  type Segment = { kind: 'call', id: number, wire: string } | { kind: 'any', text: string, wire: string } | { kind: 'oversize' | 'fatal', wire: string }
  const frame = (text: string): string => `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
  const segment: fc.Arbitrary<Segment> = fc.oneof(
    fc.tuple(fc.nat(), fc.string({ maxLength: 12 })).map(([id, x]) => ({ kind: 'call' as const, id, wire: frame(JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: [x] })) })),
    anyLine.map((text) => ({ kind: 'any' as const, text, wire: frame(text) })),
    fc.integer({ min: 257, max: 600 }).map((n) => ({ kind: 'oversize' as const, wire: `Content-Length: ${n}\r\n\r\n${'x'.repeat(n)}` })),
    badHeader.map((wire) => ({ kind: 'fatal' as const, wire: wire.includes('\r\n\r\n') ? wire : wire + '\r\n\r\n' }))
  )
  const cutOff = fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })), { nil: undefined })

  await t.resolves(fc.assert(fc.asyncProperty(fc.array(segment, { maxLength: 8 }), cutOff, fractions, async (segments, broken, cuts) => {
    let wire = segments.map((s) => s.wire).join('')
    if (broken !== undefined) {
      const whole = frame(broken[0])
      wire += whole.slice(0, Math.max(1, Math.floor(broken[1] * whole.length)))
    }
    const replies = await session(app, cut(Buffer.from(wire), cuts))
    let i = 0
    let fatal = false
    for (const s of segments) {
      if (s.kind === 'fatal') { fatal = true; break }
      // unlike an NDJSON blank line, a blank body is a frame, and gets its -32700
      // a body over the cap is refused whatever it holds, a notification too
      const over = s.kind === 'oversize' || (s.kind === 'any' && Buffer.byteLength(s.text) > 256)
      if (s.kind === 'any' && !over && !/^[ \t\r]*$/.test(s.text) && expectsNoReply(s.text)) continue
      const r = replies[i++]
      assert.notEqual(r, undefined, `a reply for ${s.wire.slice(0, 60)}`)
      if (s.kind === 'call') assert.deepEqual(r, { jsonrpc: '2.0', id: s.id, result: [JSON.parse(s.wire.slice(s.wire.indexOf('\r\n\r\n') + 4)).params[0]] })
      else if (over) assert.equal(r.error.code, -32600)
    }
    if (fatal || broken !== undefined) {
      assert.match(replies[i++]?.error?.message, /^malformed frame: /, 'one error for the broken frame')
    }
    assert.equal(replies.length, i, 'nothing else, and nothing after a broken frame')
  }), { numRuns: 200 }))
  t.equal(app.activity.connections, 0, 'every connection closed')
})
