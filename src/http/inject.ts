import type { IncomingMessage, ServerResponse } from 'node:http'
import { codes } from '../core/errors.js'
import type { LinefyInstance } from '../core/instance.js'
import { Phase } from '../core/state.js'
import { stateOf } from '../transport/serve-net.js'
import type { Peer } from './peer.js'
import type { InjectHttpOptions, InjectHttpResponse } from './types.js'

/**
 * Runs one HTTP request through the HTTP transport's real request handler
 * with light-my-request, without a socket: the handler of the first HTTP
 * listener registered, else one with the default options. Both, and
 * light-my-request itself, are loaded on first use, so an app that never
 * calls this never loads them.
 */
export async function injectHttp (app: LinefyInstance, options: InjectHttpOptions | string): Promise<InjectHttpResponse> {
  const state = stateOf(app)
  if (state.phase >= Phase.Closing) throw new codes.LINEFY_ERR_CLOSED('injectHttp')
  await app.ready()
  const [{ default: lightMyRequest }, { httpHandlerOf }] = await Promise.all([import('light-my-request'), import('./handler.js')])
  if (state.phase >= Phase.Closing) throw new codes.LINEFY_ERR_CLOSED('injectHttp')
  const handler = httpHandlerOf(app)
  const seen: { peer?: Peer } = {}
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    seen.peer = handler.inject(req, res)
  }
  try {
    return await lightMyRequest(dispatch, options as Parameters<typeof lightMyRequest>[1])
  } catch (err) {
    // the response was destroyed: its Connection ended first (an onConnection hook refused it, or close()'s deadline)
    if ((err as { code?: unknown }).code !== 'LIGHT_ECONNRESET') throw err
    throw (seen.peer as Peer).failure ?? new codes.LINEFY_ERR_CLOSED('injectHttp')
  }
}
