import t from 'tap'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import linefy from '../index.js'
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
