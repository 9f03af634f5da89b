import { codes } from '../core/errors.js'
import type { Request } from '../request/request.js'
import { isContentBlock } from './content.js'
import { page } from './paging.js'
import { defined, isPlainObject } from './protocol.js'
import type { Completer } from './resources.js'

export interface PromptArgument {
  name: string
  title?: string
  description?: string
  required?: boolean
}

export interface PromptOptions {
  title?: string
  description?: string
  arguments?: PromptArgument[]
  /** Completers of the arguments, for completion/complete. */
  complete?: Record<string, Completer>
}

export interface PromptMessage {
  role: 'user' | 'assistant'
  content: Record<string, unknown>
}

/** What a prompt handler returns: a user message's text, the messages, or a whole GetPromptResult. */
export type PromptValue = string | PromptMessage[] | { description?: string, messages: PromptMessage[] }
export type PromptHandler = (args: Record<string, string>, req: Request) => PromptValue | Promise<PromptValue>

interface Prompt {
  readonly name: string
  readonly opts: PromptOptions
  readonly handler: PromptHandler
}

const text = (s: string): PromptMessage => ({ role: 'user', content: { type: 'text', text: s } })

function messagesOf (value: PromptValue): PromptMessage[] {
  if (typeof value === 'string') return [text(value)]
  const list = Array.isArray(value) ? value : value.messages
  // a message whose content is not MCP content would fail the host's own checks: say so here instead
  for (const m of list) {
    if (!isPlainObject(m) || (m.role !== 'user' && m.role !== 'assistant') || !isContentBlock(m.content)) {
      throw new Error('a prompt handler returned a message that is not { role: "user" | "assistant", content: <MCP content> }')
    }
  }
  return list
}

/** The prompts, added with app.prompt(); they may change after ready() (list_changed). */
export class Prompts {
  private readonly byName = new Map<string, Prompt>()
  private readonly pageSize: number

  constructor (pageSize: number) {
    this.pageSize = pageSize
  }

  add (name: string, opts: PromptOptions, handler: PromptHandler): void {
    if (typeof handler !== 'function') throw new codes.LINEFY_ERR_INVALID_HANDLER(`handler of prompt '${name}'`, typeof handler)
    if (this.byName.has(name)) throw new codes.LINEFY_ERR_MCP_DUPLICATE('prompt', name)
    this.byName.set(name, { name, opts, handler })
  }

  remove (name: string): boolean {
    return this.byName.delete(name)
  }

  list (cursor: string | undefined): Record<string, unknown> {
    const all = [...this.byName.values()].map(({ name, opts }) => defined({ name, title: opts.title, description: opts.description, arguments: opts.arguments }))
    const { items, nextCursor } = page(all, cursor, this.pageSize)
    return defined({ prompts: items, nextCursor })
  }

  async get (name: string, args: Record<string, string>, req: Request): Promise<Record<string, unknown>> {
    const prompt = this.find(name)
    for (const a of prompt.opts.arguments ?? []) {
      if (a.required === true && typeof args[a.name] !== 'string') throw new codes.LINEFY_ERR_MCP_MISSING_ARGUMENT(name, a.name)
    }
    const value = await prompt.handler(args, req)
    const description = !Array.isArray(value) && typeof value === 'object' ? value.description : undefined
    return defined({ description: description ?? prompt.opts.description, messages: messagesOf(value) })
  }

  /** The completer of one argument of a prompt, for completion/complete. */
  completer (name: string, argument: string): Completer | undefined {
    return this.find(name).opts.complete?.[argument]
  }

  private find (name: string): Prompt {
    const prompt = this.byName.get(name)
    if (prompt === undefined) throw new codes.LINEFY_ERR_MCP_UNKNOWN_PROMPT(name)
    return prompt
  }
}
