import { codes } from './errors.js'
import type { LinefyInstance } from './instance.js'

export interface ListenOptions {
  path?: string
  fd?: number
  stdio?: boolean
}

export async function listen (app: LinefyInstance, opts: ListenOptions = {}): Promise<LinefyInstance> {
  throw new codes.LINEFY_ERR_NO_LISTEN_TARGET()
}
