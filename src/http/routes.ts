import type { IncomingMessage, ServerResponse } from 'node:http'
import { codes } from '../core/errors.js'
import type { LinefyInstance } from '../core/instance.js'
import { Phase, type State } from '../core/state.js'
import { stateOf } from '../transport/serve-net.js'

/**
 * Answers every request to one path of the app's HTTP listeners, after the
 * transport's own checks (Host and Origin on TCP, header limits): the
 * response is the route's own, to answer at once or to stream (MCP's
 * Streamable HTTP). `injected`: the request came from injectHttp().
 */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, injected: boolean) => void

const tables = new WeakMap<State, Map<string, HttpRoute>>()

/** Serves `path` on every HTTP listener of the app with `route` (before ready(), like a method). */
export function addHttpRoute (app: LinefyInstance, path: string, route: HttpRoute): void {
  const state = stateOf(app)
  if (state.phase !== Phase.Loading) throw new codes.LINEFY_ERR_INSTANCE_STARTED(`add the HTTP route ${path}`)
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) throw new codes.LINEFY_ERR_INVALID_OPTION('path', `of an HTTP route must be a URL path such as '/mcp', got ${String(path)}`)
  let table = tables.get(state)
  if (table === undefined) tables.set(state, table = new Map())
  if (table.has(path)) throw new codes.LINEFY_ERR_INVALID_OPTION('path', `${path} already has an HTTP route`)
  table.set(path, route)
}

export function httpRoute (state: State, path: string): HttpRoute | undefined {
  return tables.get(state)?.get(path)
}
