import type { ContentDescriptor, JsonSchema, MethodObject, OpenRpcDocument } from './document.js'

type Schema = Record<string, unknown>

const identifier = /^[A-Za-z_$][\w$]*$/

function key (name: string): string {
  return identifier.test(name) ? name : JSON.stringify(name)
}

function isPrimitive (v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v)
}

/** True when a union or intersection sits at the top level of `t`, outside brackets and string literals. */
function compound (t: string): boolean {
  let depth = 0
  let quoted = false
  for (let i = 0; i < t.length; i++) {
    const c = t[i] as string
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"') {
      quoted = true
    } else if ('{[(<'.includes(c)) {
      depth++
    } else if ('}])>'.includes(c)) {
      depth--
    } else if (depth === 0 && (c === '|' || c === '&')) {
      return true
    }
  }
  return false
}

// an element type of an array, or a member of an intersection, binds tighter than | and &
function wrap (t: string): string {
  return compound(t) ? `(${t})` : t
}

function union (types: string[]): string {
  const unique = [...new Set(types)]
  if (unique.includes('unknown')) return 'unknown'
  const rest = unique.filter((t) => t !== 'never')
  return rest.length === 0 ? 'never' : rest.join(' | ')
}

function objectType (s: Schema): string {
  const props = (s.properties ?? {}) as Record<string, JsonSchema>
  const required = Array.isArray(s.required) ? s.required : []
  const fields = Object.entries(props).map(([name, p]) => `${key(name)}${required.includes(name) ? '' : '?'}: ${typeOf(p)}`)
  if (fields.length > 0) return `{${fields.join(', ')}}`
  // Type.Record: its keys are patterns, its values one schema
  const patterns = isObjectSchema(s.patternProperties) ? Object.values(s.patternProperties) as JsonSchema[] : []
  if (patterns.length > 0) return `Record<string, ${union(patterns.map(typeOf))}>`
  const extra = s.additionalProperties
  if (extra === false) return 'Record<string, never>'
  return `Record<string, ${extra === undefined || extra === true ? 'unknown' : typeOf(extra as JsonSchema)}>`
}

function arrayType (s: Schema): string {
  if (Array.isArray(s.items)) {
    const min = typeof s.minItems === 'number' ? s.minItems : 0
    return `[${s.items.map((item: JsonSchema, i: number) => i < min ? typeOf(item) : wrap(typeOf(item)) + '?').join(', ')}]`
  }
  if (s.items === undefined) return s.maxItems === 0 ? '[]' : 'unknown[]'
  return wrap(typeOf(s.items as JsonSchema)) + '[]'
}

function ofType (type: string, s: Schema): string {
  switch (type) {
    case 'string': return 'string'
    case 'number': case 'integer': return 'number'
    case 'boolean': return 'boolean'
    case 'null': return 'null'
    case 'array': return arrayType(s)
    case 'object': return objectType(s)
    default: return 'unknown'
  }
}

/** A JSON schema as the TypeScript type of the values it accepts (as near as TypeScript can say it). */
export function typeOf (schema: JsonSchema): string {
  if (schema === true) return 'unknown'
  if (schema === false) return 'never'
  const s = schema
  if ('const' in s && isPrimitive(s.const)) return JSON.stringify(s.const)
  if (Array.isArray(s.enum) && s.enum.every(isPrimitive)) return union(s.enum.map((v) => JSON.stringify(v)))
  if (isObjectSchema(s.not) && Object.keys(s.not).length === 0) return 'never'
  const alternatives = (Array.isArray(s.anyOf) ? s.anyOf : s.oneOf) as JsonSchema[] | undefined
  if (Array.isArray(alternatives)) return union(alternatives.map(typeOf))
  if (Array.isArray(s.allOf)) return (s.allOf as JsonSchema[]).map((p) => wrap(typeOf(p))).join(' & ')
  if (Array.isArray(s.type)) return union(s.type.map((t) => ofType(t as string, s)))
  if (typeof s.type === 'string') return ofType(s.type, s)
  if (isObjectSchema(s.properties)) return objectType(s)
  return 'unknown'
}

function isObjectSchema (v: unknown): v is Schema {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function byPosition (params: ContentDescriptor[]): string {
  // TypeScript takes labels on every element or on none, and optional elements only after the required ones
  const labelled = params.every((p) => identifier.test(p.name))
  const last = params.map((p) => p.required === true).lastIndexOf(true)
  const items = params.map((p, i) => {
    const mark = i > last ? '?' : ''
    return labelled ? `${p.name}${mark}: ${typeOf(p.schema)}` : `${wrap(typeOf(p.schema))}${mark}`
  })
  return `[${items.join(', ')}]`
}

function byName (params: ContentDescriptor[]): string {
  if (params.length === 0) return 'Record<string, never>'
  return `{${params.map((p) => `${key(p.name)}${p.required === true ? '' : '?'}: ${typeOf(p.schema)}`).join(', ')}}`
}

/** The TypeScript type of a method's params, from its OpenRPC method object. */
export function paramsType (m: MethodObject): string {
  let t: string
  if (m.paramStructure === 'by-name') t = byName(m.params)
  else if (m.paramStructure === 'by-position') t = byPosition(m.params)
  else t = m.params.length === 0 ? 'unknown' : `${byName(m.params)} | ${byPosition(m.params)}`
  return m['x-linefy-params-optional'] === true && t !== 'unknown' ? `${t} | undefined` : t
}

export function resultType (m: MethodObject): string {
  return m.result === undefined ? 'unknown' : typeOf(m.result.schema)
}

/** One line per method: `add {a: number, b: number} -> number`. */
export function signature (m: MethodObject): string {
  return `${m.name} ${paramsType(m)} -> ${resultType(m)}`
}

function comment (m: MethodObject): string[] {
  const text = [m.summary, m.description].filter((s) => s !== undefined).join('\n\n')
  if (text === '') return []
  // a */ in the text would end the comment early
  const lines = text.replace(/\*\//g, '*\\/').split('\n')
  if (lines.length === 1) return [`  /** ${lines[0] as string} */`]
  return ['  /**', ...lines.map((l) => ('   * ' + l).trimEnd()), '   */']
}

/** The `Api` type of a daemon's OpenRPC document, for `connect<Api>(path)`: what `linefy types` writes. */
export function apiTypes (doc: OpenRpcDocument): string {
  const lines = [
    `// The methods of ${doc.info.title} ${doc.info.version}, written by \`linefy types\` from its OpenRPC document.`,
    '// import { connect } from \'linefy/client\'; const client = await connect<Api>(path)',
    'export type Api = {'
  ]
  for (const m of doc.methods) lines.push(...comment(m), `  ${key(m.name)}: { params: ${paramsType(m)}, result: ${resultType(m)} }`)
  lines.push('}', '')
  return lines.join('\n')
}
