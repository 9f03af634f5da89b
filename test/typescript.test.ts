import t from 'tap'
import type { MethodObject } from '../src/discovery/document.js'
import { paramsType, resultType, typeOf } from '../src/discovery/typescript.js'
import { closest, editDistance } from '../src/discovery/suggest.js'

// `linefy types` and `linefy methods` read any OpenRPC document, not only linefy's own

t.test('JSON Schema keywords become the TypeScript a client author would write', async (t) => {
  const cases: Array<[unknown, string]> = [
    [true, 'unknown'],
    [false, 'never'],
    [{}, 'unknown'],
    [{ not: {} }, 'never'],
    [{ not: { type: 'string' } }, 'unknown'],
    [{ const: 'on' }, '"on"'],
    [{ const: { a: 1 } }, 'unknown'],
    [{ enum: ['a', 1, null, true] }, '"a" | 1 | null | true'],
    [{ enum: [[1]] }, 'unknown'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ type: 'bogus' }, 'unknown'],
    [{ oneOf: [{ type: 'string' }, { type: 'string' }, { type: 'integer' }] }, 'string | number'],
    [{ anyOf: [{ type: 'string' }, {}] }, 'unknown'],
    [{ anyOf: [{ not: {} }, false] }, 'never'],
    [{ allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { anyOf: [{ type: 'object', properties: { b: { type: 'number' } }, required: ['b'] }, { type: 'null' }] }] }, '{a?: string} & ({b: number} | null)'],
    [{ properties: { 'a b': { type: 'boolean' } }, required: ['a b'] }, '{"a b": boolean}'],
    [{ type: 'object' }, 'Record<string, unknown>'],
    [{ type: 'object', additionalProperties: true }, 'Record<string, unknown>'],
    [{ type: 'object', additionalProperties: { type: 'number' } }, 'Record<string, number>'],
    [{ type: 'object', additionalProperties: false }, 'Record<string, never>'],
    [{ type: 'object', patternProperties: { '^a': { type: 'string' }, '^b': { type: 'integer' } } }, 'Record<string, string | number>'],
    [{ type: 'array' }, 'unknown[]'],
    [{ type: 'array', maxItems: 0 }, '[]'],
    [{ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, '(string | null)[]'],
    [{ type: 'array', items: { type: 'object', properties: { x: { enum: ['a|b'] } } } }, '{x?: "a|b"}[]'],
    [{ type: 'array', items: { type: 'object', properties: { '"|': { type: 'string' } } } }, '{"\\"|"?: string}[]'],
    [{ type: 'array', items: [{ type: 'string' }, { type: ['number', 'null'] }], minItems: 1 }, '[string, (number | null)?]'],
    [{ type: 'array', items: [{ type: 'string' }] }, '[string?]'],
    [{ $ref: '#/components/schemas/Thing' }, 'unknown']
  ]
  for (const [schema, type] of cases) t.equal(typeOf(schema as never), type, JSON.stringify(schema))
})

const method = (m: Partial<MethodObject>): MethodObject => ({ name: 'm', paramStructure: 'either', params: [], result: { name: 'r', schema: {} }, errors: [], ...m })

t.test('params by position keep their labels only when every name is an identifier, and required ones first', async (t) => {
  const p = (name: string, required: boolean) => ({ name, required, schema: { type: 'string' } })
  t.equal(paramsType(method({ paramStructure: 'by-position', params: [p('a', true), p('b', false)] })), '[a: string, b?: string]')
  t.equal(paramsType(method({ paramStructure: 'by-position', params: [p('a', false), p('b', true)] })), '[a: string, b: string]', 'an optional one before a required one is required')
  t.equal(paramsType(method({ paramStructure: 'by-position', params: [p('first name', true), p('b', false)] })), '[string, string?]')
  t.equal(paramsType(method({ paramStructure: 'by-position', params: [] })), '[]')
  t.equal(paramsType(method({ paramStructure: 'either', params: [p('a', true)] })), '{a: string} | [a: string]', 'either: both forms')
  t.equal(paramsType(method({ paramStructure: 'either', params: [], 'x-linefy-params-optional': true })), 'unknown')
  t.equal(paramsType(method({ paramStructure: 'by-position', params: [p('a', false)], 'x-linefy-params-optional': true })), '[a?: string] | undefined')
})

t.test('a method without a result (OpenRPC 1.3 allows it) answers unknown', async (t) => {
  t.equal(resultType(method({ result: undefined as never })), 'unknown')
})

t.test('edit distance counts insertions, deletions and substitutions', async (t) => {
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('abc', ''), 3)
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(editDistance('add', 'add'), 0)
  t.same(closest('memory.recal', ['memory.recall', 'memory.forget', 'recall']), ['memory.recall'])
  t.same(closest('x', ['a', 'bb', 'ccc', 'dddd']), ['a', 'bb'], 'short names: two edits at most')
  t.same(closest('abcd', ['abce', 'abcf', 'abcg', 'abch'], 3), ['abce', 'abcf', 'abcg'], 'at most three, ties by name')
})
