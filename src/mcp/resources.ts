import { codes } from '../core/errors.js'
import type { Request } from '../request/request.js'
import { page } from './paging.js'
import { defined, isPlainObject } from './protocol.js'

/** Suggests values for one argument of a prompt or variable of a template, given what the user typed so far. */
export type Completer = (value: string, context: { arguments: Record<string, string> }) => string[] | Promise<string[]>

export interface ResourceOptions {
  name: string
  title?: string
  description?: string
  mimeType?: string
  size?: number
  annotations?: Record<string, unknown>
  /** Completers of a template's variables, for completion/complete. */
  complete?: Record<string, Completer>
}

/** One entry of resources/read's contents. */
export type ResourceContents = { uri?: string, mimeType?: string } & ({ text: string } | { blob: string })
/** What a resource handler returns: text, bytes, or contents. */
export type ResourceValue = string | Uint8Array | ResourceContents | ResourceContents[]
/** Reads one resource; `vars` are the template's variables as they matched the URI. */
export type ResourceHandler = (uri: string, vars: Record<string, string>, req: Request) => ResourceValue | Promise<ResourceValue>

interface Resource {
  readonly key: string
  readonly opts: ResourceOptions
  readonly handler: ResourceHandler
  /** Templates only: the URI pattern and its variable names. */
  readonly match: RegExp | null
  readonly vars: string[]
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** An RFC 6570 template as a matcher: `{name}` is one path segment, `{+name}` anything. */
function compileTemplate (template: string): { match: RegExp, vars: string[] } {
  const vars: string[] = []
  let source = '^'
  let last = 0
  for (const m of template.matchAll(/\{(\+?)([A-Za-z0-9_]+)\}/g)) {
    source += escape(template.slice(last, m.index)) + (m[1] === '+' ? '(.+)' : '([^/?#]+)')
    vars.push(m[2] as string)
    last = (m.index as number) + m[0].length
  }
  return { match: new RegExp(source + escape(template.slice(last)) + '$'), vars }
}

function contentsOf (value: ResourceValue, uri: string, mimeType: string | undefined): ResourceContents[] {
  if (typeof value === 'string') return [defined({ uri, mimeType, text: value })]
  if (value instanceof Uint8Array) return [defined({ uri, mimeType, blob: Buffer.from(value).toString('base64') })]
  return (Array.isArray(value) ? value : [value]).map((c) => ({ uri, ...(mimeType === undefined ? {} : { mimeType }), ...c }))
}

/** The resources and resource templates, added with app.resource(); they may change after ready() (list_changed). */
export class Resources {
  private readonly fixed = new Map<string, Resource>()
  private readonly templates = new Map<string, Resource>()
  private readonly pageSize: number

  constructor (pageSize: number) {
    this.pageSize = pageSize
  }

  add (uri: string, opts: ResourceOptions, handler: ResourceHandler): void {
    if (typeof handler !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`handler of resource '${uri}'`, typeof handler)
    if (!isPlainObject(opts) || typeof opts.name !== 'string') throw new codes.LINEFY_ERR_INVALID_OPTION('name', `of resource '${uri}' must be a string`)
    const isTemplate = uri.includes('{')
    const table = isTemplate ? this.templates : this.fixed
    if (table.has(uri)) throw new codes.LINEFY_ERR_MCP_DUPLICATE(isTemplate ? 'resource template' : 'resource', uri)
    const { match, vars } = isTemplate ? compileTemplate(uri) : { match: null, vars: [] }
    table.set(uri, { key: uri, opts, handler, match, vars })
  }

  remove (uri: string): boolean {
    return this.fixed.delete(uri) || this.templates.delete(uri)
  }

  list (cursor: string | undefined): Record<string, unknown> {
    const all = [...this.fixed.values()].map((r) => this.describe(r, 'uri'))
    const { items, nextCursor } = page(all, cursor, this.pageSize)
    return defined({ resources: items, nextCursor })
  }

  listTemplates (cursor: string | undefined): Record<string, unknown> {
    const all = [...this.templates.values()].map((r) => this.describe(r, 'uriTemplate'))
    const { items, nextCursor } = page(all, cursor, this.pageSize)
    return defined({ resourceTemplates: items, nextCursor })
  }

  async read (uri: string, req: Request): Promise<Record<string, unknown>> {
    let found = this.fixed.get(uri)
    let vars: Record<string, string> = {}
    if (found === undefined) {
      for (const t of this.templates.values()) {
        const m = (t.match as RegExp).exec(uri)
        if (m === null) continue
        found = t
        vars = Object.fromEntries(t.vars.map((name, i) => [name, decodeURIComponent(m[i + 1] as string)]))
        break
      }
    }
    if (found === undefined) throw new codes.LINEFY_ERR_MCP_UNKNOWN_RESOURCE(uri)
    return { contents: contentsOf(await found.handler(uri, vars, req), uri, found.opts.mimeType) }
  }

  /** The completer of one variable of a template, for completion/complete. */
  completer (template: string, variable: string): Completer | undefined {
    const t = this.templates.get(template)
    if (t === undefined) throw new codes.LINEFY_ERR_MCP_UNKNOWN_REF(`resource template '${template}'`)
    return t.opts.complete?.[variable]
  }

  private describe (r: Resource, key: 'uri' | 'uriTemplate'): Record<string, unknown> {
    const { name, title, description, mimeType, size, annotations } = r.opts
    return defined({ [key]: r.key, name, title, description, mimeType, size: key === 'uri' ? size : undefined, annotations })
  }
}
