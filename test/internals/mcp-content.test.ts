import t from 'tap'
import fc from 'fast-check'
import { replyToResult, replyToToolJson } from '../../src/mcp/content.js'
import { HEAD, RawJson } from '../../src/request/reply.js'

const ID = '"\\u0000tools/call#7"'
const head = HEAD + ID + ',"result":'
const at = head.length
// a reply line as the pipeline writes it for a method's value
const lineOf = (value: unknown): string => head + (JSON.stringify(value) ?? 'null') + '}'
const jsonOf = (r: Record<string, unknown> | RawJson): string => r instanceof RawJson ? r.json : JSON.stringify(r)

// values a method may return, MCP content and near-misses among them
const block = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.string() }),
  fc.record({ type: fc.constantFrom('image', 'audio'), data: fc.string(), mimeType: fc.string() }),
  fc.record({ type: fc.constant('resource_link'), uri: fc.string(), name: fc.string() }),
  fc.record({ type: fc.string() })
)
const value = fc.oneof(
  fc.jsonValue(),
  block,
  fc.record({ content: fc.array(block, { maxLength: 3 }) }, { requiredKeys: [] }),
  fc.dictionary(fc.constantFrom('content', 'type', '"type":', 'text', '__proto__'), fc.jsonValue(), { maxKeys: 3 }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), { maxKeys: 3 }),
  fc.constantFrom('\ud800', { k: '\udc00\u0000"\\' }, ['\u2028', 'ü']),
  fc.date({ noInvalidDate: true })
)

t.test('a result cut from its line is the same JSON as the line parsed and the value rebuilt, for any value and wrapping', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(value, fc.constantFrom(undefined, true, false), (v, wrap) => {
    const line = lineOf(v)
    const expected = JSON.stringify(replyToResult(line, wrap))
    const got = jsonOf(replyToToolJson(line, at, wrap))
    if (got !== expected) throw new Error(`${line}: ${got} !== ${expected}`)
  }), { numRuns: 2000 }))
})

t.test('only a plain result is cut out; MCP content and an error take the long way', async (t) => {
  t.type(replyToToolJson(lineOf(3), at, undefined), RawJson)
  t.notOk(replyToToolJson(lineOf({ x: { type: 1 } }), at, undefined) instanceof RawJson, 'a nested key of the name is parsed to make sure')
  t.type(replyToToolJson(lineOf({ x: 'a string with "type": in it' }), at, undefined), RawJson, 'the name quoted in a string is escaped: no key')
  t.notOk(replyToToolJson(lineOf({ content: [{ type: 'text', text: 'x' }] }), at, undefined) instanceof RawJson)
  t.same(replyToToolJson(HEAD + ID + ',"error":{"code":-32001,"message":"no"}}', -1, undefined), { content: [{ type: 'text', text: 'no' }], isError: true })
})
