import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { codes } from '../core/errors.js'
import type { MethodExample, MethodInfo } from '../request/context.js'
import { errorRef, type ContentDescriptor, type ExamplePairing, type JsonSchema, type MethodObject, type ParamStructure } from './document.js'

type Schema = Record<string, unknown>

const jsonTypes = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'])
// TypeBox's names for "nothing": the params may be left out, a result is answered null
const nothing = new Set(['undefined', 'void'])

// keywords whose values are schemas, maps of schemas, or lists of schemas (JSON Schema draft-07)
const schemaKeywords = ['items', 'additionalItems', 'additionalProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else']
const schemaMaps = ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']
const schemaLists = ['allOf', 'anyOf', 'oneOf']

function isObject (v: unknown): v is Schema {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Throws at the first TypeBox type that JSON Schema has no word for (Date, Uint8Array, undefined...). */
function checkJson (schema: unknown, which: 'params' | 'result', path: string): void {
  if (!isObject(schema)) return
  if (schema.$ref !== undefined) throw new Error(`its ${which} schema at ${path || '/'} refers to another schema ($ref), which the document cannot carry: write that part out in full`)
  const type = schema.type
  for (const t of Array.isArray(type) ? type : type === undefined ? [] : [type]) {
    if (!jsonTypes.has(t as string)) {
      throw new Error(`its ${which} schema at ${path || '/'} is of type '${String(t)}', which JSON Schema cannot express: use string, number, integer, boolean, object, array or null there`)
    }
  }
  for (const k of schemaKeywords) {
    const v = schema[k]
    if (Array.isArray(v)) v.forEach((s, i) => checkJson(s, which, `${path}/${k}/${i}`))
    else checkJson(v, which, `${path}/${k}`)
  }
  for (const k of schemaMaps) {
    const v = schema[k]
    if (isObject(v)) for (const [name, s] of Object.entries(v)) checkJson(s, which, `${path}/${k}/${name}`)
  }
  for (const k of schemaLists) {
    const v = schema[k]
    if (Array.isArray(v)) v.forEach((s, i) => checkJson(s, which, `${path}/${k}/${i}`))
  }
}

/** A TypeBox schema as plain JSON Schema: its symbol-keyed markers dropped. */
function plain (schema: TSchema): Schema {
  return JSON.parse(JSON.stringify(schema)) as Schema
}

function isNothing (s: Schema): boolean {
  return typeof s.type === 'string' && nothing.has(s.type)
}

interface Params {
  structure: ParamStructure
  params: ContentDescriptor[]
  optional: boolean
}

/** OpenRPC names params (an object schema: by-name) or lists them (a tuple: by-position). */
function describeParams (schema: TSchema | undefined): Params {
  let s = schema === undefined ? {} : plain(schema)
  // no schema, Type.Any(), Type.Unknown(): any params at all
  if (Object.keys(s).length === 0) return { structure: 'either', params: [], optional: false }
  let optional = false
  if (Array.isArray(s.anyOf) && s.anyOf.some((m) => isObject(m) && isNothing(m))) {
    const rest = (s.anyOf as Schema[]).filter((m) => !isNothing(m))
    if (rest.length !== 1) throw new Error('its params schema is a union: OpenRPC describes one params shape per method; use one Type.Object (by-name) or one Type.Tuple (by-position)')
    s = rest[0] as Schema
    optional = true
  }
  if (s.type === 'object' && isObject(s.properties) && s.patternProperties === undefined) {
    const required = Array.isArray(s.required) ? s.required : []
    const params = Object.entries(s.properties).map(([name, schema]) => {
      checkJson(schema, 'params', `/properties/${name}`)
      return { name, schema: schema as JsonSchema, required: !optional && required.includes(name) }
    })
    return { structure: 'by-name', params, optional }
  }
  if (s.type === 'array' && (Array.isArray(s.items) || (s.items === undefined && s.maxItems === 0))) {
    const items = (s.items ?? []) as Schema[]
    // TypeBox's Tuple always sets minItems, and a params schema TypeBox cannot compile never gets this far
    const min = s.minItems as number
    const params = items.map((schema, i) => {
      checkJson(schema, 'params', `/items/${i}`)
      return { name: typeof schema.title === 'string' ? schema.title : `arg${i}`, schema: schema as JsonSchema, required: !optional && i < min }
    })
    return { structure: 'by-position', params, optional }
  }
  throw new Error('its params schema is neither an object nor a tuple: OpenRPC names params (Type.Object, by-name) or lists them (Type.Tuple, by-position); Type.Composite flattens an intersection into one object')
}

function describeResult (schema: TSchema | undefined): ContentDescriptor {
  if (schema === undefined) return { name: 'result', schema: {} }
  const s = plain(schema)
  // a handler that returns nothing is answered null
  if (isNothing(s)) return { name: 'result', schema: { type: 'null' } }
  checkJson(s, 'result', '')
  return { name: 'result', schema: s }
}

function checkExample (info: MethodInfo, ex: MethodExample): void {
  const checks = [['params', info.schema?.params, ex.params], ['result', info.schema?.result, ex.result]] as const
  for (const [which, schema, value] of checks) {
    if (schema === undefined || Value.Check(schema, value)) continue
    const first = Value.Errors(schema, value).First()
    throw new codes.LINEFY_ERR_INVALID_OPTION('examples', `of method '${info.name}': the ${which} of example '${ex.name}' do not match its ${which} schema at ${first?.path || '/'}: ${first?.message}`)
  }
}

function pairing (ex: MethodExample, params: Params): ExamplePairing {
  let values: Array<{ name: string, value: unknown }>
  if (Array.isArray(ex.params)) {
    values = ex.params.map((value, i) => ({ name: params.params[i]?.name ?? `arg${i}`, value }))
  } else if (ex.params !== null && typeof ex.params === 'object') {
    // in the order OpenRPC lists the params: tools map values to names by position
    const given = ex.params as Record<string, unknown>
    const names = params.params.map((p) => p.name).filter((n) => Object.hasOwn(given, n))
    values = [...names, ...Object.keys(given).filter((n) => !names.includes(n))].map((name) => ({ name, value: given[name] }))
  } else {
    values = []
  }
  return { name: ex.name, params: values, result: { name: 'result', value: ex.result ?? null } }
}

/**
 * One method of the table as an OpenRPC method object. Throws
 * LINEFY_ERR_SCHEMA_NOT_DESCRIBABLE, naming the method, for a schema OpenRPC
 * cannot carry, and LINEFY_ERR_INVALID_OPTION for an example its schemas refuse.
 */
export function describeMethod (info: MethodInfo): MethodObject {
  let params: Params
  let result: ContentDescriptor
  try {
    params = describeParams(info.schema?.params)
    result = describeResult(info.schema?.result)
  } catch (err) {
    throw new codes.LINEFY_ERR_SCHEMA_NOT_DESCRIBABLE(info.name, (err as Error).message)
  }
  const errors = [
    ...(info.schema?.params === undefined ? [] : [errorRef('InvalidParams')]),
    errorRef('InternalError'), errorRef('HandlerFailed'),
    ...(info.timeout === undefined ? [] : [errorRef('Timeout')]),
    errorRef('Overloaded'), errorRef('ShuttingDown'), errorRef('Cancelled')
  ]
  const method: MethodObject = { name: info.name, paramStructure: params.structure, params: params.params, result, errors }
  if (info.summary !== undefined) method.summary = info.summary
  if (info.description !== undefined) method.description = info.description
  if (params.optional) method['x-linefy-params-optional'] = true
  if (info.examples !== undefined && info.examples.length > 0) {
    for (const ex of info.examples) checkExample(info, ex)
    method.examples = info.examples.map((ex) => pairing(ex, params))
  }
  return method
}
