import { connect, type Client, RpcError } from '../../client.js'
import { errorLine, JsonRpcRouter, jsonOfId, type Connection, type Context, type ControlDefinition, type MethodDefinition, type Router, type RouterCore, type Sink } from '../../index.js'

/**
 * A second router a daemon author would write: methods named `ns.*` serve
 * every name under `ns.`, exact names win. It reuses the default router's
 * envelope checks and changes only how a name finds its method.
 */
export class WildcardRouter extends JsonRpcRouter {
  protected override lookup (method: string): Context | undefined {
    const exact = this.contexts.get(method)
    if (exact !== undefined) return exact
    const dot = method.lastIndexOf('.')
    return dot === -1 ? undefined : this.contexts.get(method.slice(0, dot) + '.*')
  }
}

/**
 * A router written from the contract alone: local methods go to an inner
 * default router, a request for any other method is forwarded to another
 * daemon over linefy/client and its answer relayed as it came.
 */
export class ForwardingRouter implements Router {
  private readonly local = new JsonRpcRouter()
  private readonly names = new Set<string>()
  private upstream: Promise<Client> | null = null
  private readonly path: string

  constructor (path: string) {
    this.path = path
  }

  addMethod (def: MethodDefinition): void {
    this.names.add(def.name)
    this.local.addMethod(def)
  }

  addControl (def: ControlDefinition): void { this.local.addControl(def) }
  methods (): Iterable<MethodDefinition> { return this.local.methods() }
  controls (): Iterable<ControlDefinition> { return this.local.controls() }
  ready (core: RouterCore): void { this.local.ready(core) }
  intercept (msg: unknown, conn: Connection): boolean { return this.local.intercept(msg, conn) }

  dispatch (msg: unknown, conn: Connection, sink: Sink, slot: number): void {
    const m = msg as { jsonrpc?: unknown, id?: unknown, method?: unknown, params?: unknown } | null
    if (m === null || typeof m !== 'object' || Array.isArray(m) || m.jsonrpc !== '2.0' || typeof m.method !== 'string' || this.names.has(m.method) || m.id === undefined) {
      return this.local.dispatch(msg, conn, sink, slot)
    }
    const idJson = jsonOfId(m.id)
    this.upstream ??= connect(this.path)
    this.upstream
      .then((client) => client.call(m.method as string, m.params))
      .then(
        (result) => sink.complete(slot, '{"jsonrpc":"2.0","id":' + idJson + ',"result":' + JSON.stringify(result) + '}'),
        (err: RpcError | Error) => sink.complete(slot, errorLine(idJson, { code: err instanceof RpcError ? err.code : -32002, message: err.message })))
  }

  async close (): Promise<void> {
    if (this.upstream !== null) await (await this.upstream.catch(() => null))?.close()
  }
}
