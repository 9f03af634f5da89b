import type { TSchema } from '@sinclair/typebox'
import { codes, RpcError, RpcCode } from '../core/errors.js'
import type { McpToolOptions } from '../request/context.js'
import type { Request } from '../request/request.js'
import { kContext } from '../core/symbols.js'
import { HEAD, jsonOfId } from '../request/reply.js'
import { replyToResult, replyToToolJson } from './content.js'
import { page } from './paging.js'
import { defined } from './protocol.js'
import { inputSchema, outputSchema, type JsonSchema } from './schema.js'
import type { Session } from './session.js'

/** A tool named in the plugin's `tools` option: a method name, or one with the options `mcp` would give it. */
export type ToolEntry = string | ({ name: string } & Partial<McpToolOptions>)

interface MethodInfo { name: string, schema?: { params?: TSchema, result?: TSchema }, summary?: string, description?: string, mcp?: McpToolOptions }

interface Tool {
  readonly name: string
  /** What tools/list says of it. */
  readonly listing: Record<string, unknown>
  readonly wrap: boolean | undefined
  enabled: boolean
}

// a client's own ids are strings or numbers it picks; a NUL-led string is one it will not.
// The digits come from jsonOfId, not String(): see wholeJson in reply.ts
let innerIds = 0
const INNER_PREFIX = '\u0000tools/call#'
const INNER_HEAD = HEAD + '"\\u0000tools/call#'

/**
 * The tools: every method with `mcp` options, and those the plugin's
 * `tools` list names, read from the method table at ready(). A tool call
 * runs its method through the connection's router, so hooks, validation,
 * the gate and the timeout apply as to any request.
 */
export class Tools {
  private readonly byName = new Map<string, Tool>()
  private readonly pageSize: number

  constructor (pageSize: number) {
    this.pageSize = pageSize
  }

  build (methods: MethodInfo[], entries: ToolEntry[]): void {
    const byName = new Map(methods.map((m) => [m.name, m]))
    const named = new Map<string, Partial<McpToolOptions>>()
    for (const e of entries) {
      const { name, ...opts } = typeof e === 'string' ? { name: e } : e
      if (!byName.has(name)) throw new codes.LINEFY_ERR_MCP_NO_METHOD(name)
      named.set(name, opts)
    }
    for (const m of methods) {
      if (m.mcp === undefined && !named.has(m.name)) continue
      const opts = { description: m.description ?? m.summary, ...m.mcp, ...named.get(m.name) }
      if (opts.description !== undefined && typeof opts.description !== 'string') {
        throw new codes.LINEFY_ERR_INVALID_OPTION('mcp', `of method '${m.name}' needs a description string, got ${String(opts.description)}`)
      }
      const out = outputSchema(m.schema?.result)
      const listing = defined({
        name: m.name,
        title: opts.title,
        description: opts.description,
        inputSchema: inputSchema(m.name, m.schema?.params),
        outputSchema: out.schema as JsonSchema | undefined,
        annotations: opts.annotations
      })
      this.byName.set(m.name, { name: m.name, listing, wrap: out.wrap, enabled: true })
    }
  }

  /** Shows or hides a tool; true when that changed the list. */
  setEnabled (name: string, enabled: boolean): boolean {
    const tool = this.byName.get(name)
    if (tool === undefined) throw new codes.LINEFY_ERR_MCP_UNKNOWN_TOOL(name)
    if (tool.enabled === enabled) return false
    tool.enabled = enabled
    return true
  }

  list (cursor: string | undefined): Record<string, unknown> {
    const shown = [...this.byName.values()].filter((t) => t.enabled).map((t) => t.listing)
    const { items, nextCursor } = page(shown, cursor, this.pageSize)
    return defined({ tools: items, nextCursor })
  }

  /** The tool's result, at once when its method ended at once: no promise, no turn of the microtask queue. */
  call (req: ToolCall, session: Session): unknown {
    const { name, arguments: args, _meta: meta } = req.params
    const tool = this.byName.get(name)
    if (tool === undefined || !tool.enabled) throw new codes.LINEFY_ERR_MCP_UNKNOWN_TOOL(name)
    const token = meta?.progressToken
    const progress = token === undefined
      ? undefined
      : (progress: number, total?: number, message?: string) => session.notify('notifications/progress', defined({ progressToken: token, progress, total, message }))
    const n = jsonOfId(++innerIds)
    const line = req.connection.dispatchNow({ jsonrpc: '2.0', id: INNER_PREFIX + n, method: name, params: args ?? {} }, { meta, progress, log: session.log, parent: req })
    if (line instanceof Promise) return line.then((l) => resultOf(req, tool, n, l))
    return resultOf(req, tool, n, line)
  }
}

type ToolCall = Request<{ name: string, arguments?: Record<string, unknown>, _meta?: Record<string, unknown> }>

function resultOf (req: ToolCall, tool: Tool, n: string, line: string | undefined): unknown {
  // no line: the call was cancelled, and so was this one, whose answer nobody reads
  if (line === undefined) throw new RpcError(RpcCode.CANCELLED, 'request cancelled')
  // an onSend hook of tools/call's is owed the result as an object
  if (req[kContext].onSend !== null) return replyToResult(line, tool.wrap)
  return replyToToolJson(line, resultAt(line, n), tool.wrap)
}

const RESULT = '","result":'

/** Where the result's JSON starts in the reply line of inner request `n`; -1 when it is no result. */
function resultAt (line: string, n: string): number {
  const end = INNER_HEAD.length + n.length
  return line.startsWith(INNER_HEAD) && line.startsWith(n, INNER_HEAD.length) && line.startsWith(RESULT, end) ? end + RESULT.length : -1
}
