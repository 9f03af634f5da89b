import type { LinefyInstance, PluginFn } from './instance.js'
import type { InternalInstance } from './internal.js'
import { kHooks, kPluginMeta, kPrefix, kSkipOverride } from './symbols.js'

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

/**
 * avvio's override, as Fastify's plugin-override does it: a plugin gets a
 * child of its parent's context, with copies of the hook arrays and its
 * prefix appended, unless it is marked to share the parent's.
 */
export function override (old: InternalInstance, fn: { [kSkipOverride]?: boolean }, opts: { prefix?: string }): LinefyInstance {
  if (fn[kSkipOverride] === true) return old
  const child = Object.create(old) as InternalInstance
  child[kHooks] = old[kHooks].clone()
  child[kPrefix] = old[kPrefix] + (typeof opts.prefix === 'string' ? opts.prefix : '')
  return child
}
