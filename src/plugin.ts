import { kPluginMeta, kSkipOverride } from './symbols.js'
import type { LinefyInstance } from './instance.js'

export type PluginFn<O = Record<string, unknown>> = (app: LinefyInstance, opts: O) => Promise<void> | void

export interface PluginMeta {
  name?: string
}

/**
 * Marks a plugin to share its parent's context, like fastify-plugin: the
 * hooks, decorators, framing and error mapper it adds reach the parent.
 */
export function plugin<O = Record<string, unknown>> (fn: PluginFn<O>, meta: PluginMeta = {}): PluginFn<O> {
  const marked = fn as PluginFn<O> & { [kSkipOverride]?: boolean, [kPluginMeta]?: PluginMeta }
  marked[kSkipOverride] = true
  marked[kPluginMeta] = { name: meta.name ?? fn.name }
  return marked
}
