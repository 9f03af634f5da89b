import { Kind, type TSchema } from '@sinclair/typebox'
import { codes } from '../core/errors.js'

export type JsonSchema = Record<string, unknown>

/** A TypeBox schema as plain JSON Schema: TypeBox's own marks are symbols, which JSON drops. */
function plain (schema: TSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema
}

const isObject = (s: TSchema): boolean => s[Kind] === 'Object' || (s.type === 'object' && s[Kind] !== 'Record')

/**
 * A method's params schema as a tool's inputSchema, which MCP requires to be
 * an object schema: none is `{ type: 'object' }` (any arguments); a union of
 * Undefined and one object (params that may be left out) is that object;
 * anything else cannot take MCP arguments and is refused at ready().
 */
export function inputSchema (method: string, params: TSchema | undefined): JsonSchema {
  if (params === undefined) return { type: 'object' }
  if (isObject(params)) return plain(params)
  if (params[Kind] === 'Union') {
    const members = (params.anyOf as TSchema[]).filter((m) => m[Kind] !== 'Undefined')
    if (members.length === 1 && isObject(members[0] as TSchema)) return plain(members[0] as TSchema)
  }
  throw new codes.LINEFY_ERR_MCP_TOOL_SCHEMA(method, String(params[Kind]))
}

/**
 * A tool's outputSchema, from the method's result schema when it has one:
 * an object schema as it is; any other is wrapped as `{ result }`, since
 * structuredContent is always an object (the tool's values are wrapped the
 * same way, see content.ts).
 */
export function outputSchema (result: TSchema | undefined): { schema?: JsonSchema, wrap?: boolean } {
  // a method that never returns (Type.Never) has no output to describe
  if (result === undefined || result[Kind] === 'Never') return {}
  if (isObject(result)) return { schema: plain(result), wrap: false }
  return { schema: { type: 'object', properties: { result: plain(result) }, required: ['result'] }, wrap: true }
}
