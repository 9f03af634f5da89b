import { RpcError } from '../core/errors.js'
import { RawJson } from '../request/reply.js'
import { isPlainObject, PROTOCOL_FAILURES } from './protocol.js'

const BLOCKS: Record<string, (b: Record<string, unknown>) => boolean> = {
  text: (b) => typeof b.text === 'string',
  image: (b) => typeof b.data === 'string' && typeof b.mimeType === 'string',
  audio: (b) => typeof b.data === 'string' && typeof b.mimeType === 'string',
  resource: (b) => isPlainObject(b.resource) && typeof b.resource.uri === 'string',
  resource_link: (b) => typeof b.uri === 'string' && typeof b.name === 'string'
}

/** One MCP content block: text, image, audio, an embedded resource or a resource link. */
export function isContentBlock (v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v) || typeof v.type !== 'string' || !Object.hasOwn(BLOCKS, v.type)) return false
  return (BLOCKS[v.type] as (b: Record<string, unknown>) => boolean)(v)
}

/** A value that already is a CallToolResult: a content list of blocks (with structuredContent, isError, _meta if it likes). */
function isToolResult (v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && Array.isArray(v.content) && v.content.every(isContentBlock)
}

// a value parsed from a reply line: never undefined
function textOf (value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/**
 * A method's value as a tool's result. MCP content passes through (a whole
 * CallToolResult, or one block); anything else is structuredContent (wrapped
 * as `{ result }` unless it is an object, or as the outputSchema says) with
 * the same value as a text block, for hosts that read only text.
 */
export function toolResult (value: unknown, wrap: boolean | undefined): Record<string, unknown> {
  if (isToolResult(value)) return value
  if (isContentBlock(value)) return { content: [value] }
  const structured = (wrap ?? !isPlainObject(value)) ? { result: value } : value as Record<string, unknown>
  return { content: [{ type: 'text', text: textOf(value) }], structuredContent: structured }
}

/**
 * The reply line of a tool's method as the tools/call result: a result as
 * above, a failure of the tool as an isError result with its message, a
 * failure of the server's (overloaded, shutting down, cancelled) thrown on
 * as the JSON-RPC error it is.
 */
export function replyToResult (line: string, wrap: boolean | undefined): Record<string, unknown> {
  const reply = JSON.parse(line) as { result?: unknown, error?: { code: number, message: string, data?: unknown } }
  const err = reply.error
  if (err === undefined) return toolResult(reply.result, wrap)
  if (PROTOCOL_FAILURES.has(err.code)) throw new RpcError(err.code, err.message, err.data)
  return { content: [{ type: 'text', text: err.message }], isError: true }
}

/** A tool's result made as JSON text from pieces of JSON.stringify's output: written out as it is. */
class ToolJson extends RawJson {
  override readonly json: string

  constructor (json: string) {
    super(undefined)
    this.json = json
  }
}

const CONTENT_KEY = '"content":'
const TYPE_KEY = '"type":'

/**
 * replyToResult without parsing the line or serialising the value again:
 * the result's JSON, from `at` in the line (-1: not a result line), is set
 * into the tool's result as it is, since JSON.stringify wrote it. A value
 * that might be MCP content (an object whose JSON names `content` or `type`
 * anywhere: JSON.stringify never escapes those letters, so no key can hide)
 * and a failure take the long way.
 */
export function replyToToolJson (line: string, at: number, wrap: boolean | undefined): Record<string, unknown> | RawJson {
  if (at === -1) return replyToResult(line, wrap)
  const json = line.slice(at, -1)
  const first = json.charCodeAt(0)
  const object = first === 0x7b
  if (object && (json.includes(CONTENT_KEY) || json.includes(TYPE_KEY))) return replyToResult(line, wrap)
  const structured = (wrap ?? !object) ? '{"result":' + json + '}' : json
  // a string is its own text, and its JSON that text's JSON; a number's, true's, false's and null's JSON needs no escaping
  const text = first === 0x22 ? json : (object || first === 0x5b) ? JSON.stringify(json) : '"' + json + '"'
  return new ToolJson('{"content":[{"type":"text","text":' + text + '}],"structuredContent":' + structured + '}')
}
