import type { Request } from '../request/request.js'
import type { Prompts } from './prompts.js'
import type { Completer, Resources } from './resources.js'

export interface CompleteParams {
  ref: { type: 'ref/prompt', name: string } | { type: 'ref/resource', uri: string }
  argument: { name: string, value: string }
  context?: { arguments?: Record<string, string> }
}

// MCP caps one answer at 100 values
const MAX_VALUES = 100

/** completion/complete: the completer of a prompt's argument or a template's variable; none suggests nothing. */
export async function complete (p: CompleteParams, prompts: Prompts, resources: Resources, req: Request): Promise<Record<string, unknown>> {
  const completer: Completer | undefined = p.ref.type === 'ref/prompt'
    ? prompts.completer(p.ref.name, p.argument.name)
    : resources.completer(p.ref.uri, p.argument.name)
  const all = completer === undefined ? [] : await completer.call(req.server, p.argument.value, { arguments: p.context?.arguments ?? {} })
  const values = all.slice(0, MAX_VALUES)
  return { completion: { values, total: all.length, hasMore: all.length > values.length } }
}
