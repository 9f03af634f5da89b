import type { Connection } from '../src/connection/types.js'
import { plugin } from '../src/core/encapsulation.js'
import { codes } from '../src/core/errors.js'
import type { LinefyInstance } from '../src/core/instance.js'
import type { Request } from '../src/request/request.js'
import { addHttpRoute } from '../src/http/routes.js'
import { complete, type CompleteParams } from '../src/mcp/completion.js'
import { mcpHttpRoute, type McpHttpOptions } from '../src/mcp/http.js'
import { Params } from '../src/mcp/params.js'
import { Prompts, type PromptHandler, type PromptOptions } from '../src/mcp/prompts.js'
import { CAPABILITIES, LOG_LEVELS, negotiate, PROTOCOL_VERSIONS, defined, type LogLevel } from '../src/mcp/protocol.js'
import { Resources, type ResourceHandler, type ResourceOptions } from '../src/mcp/resources.js'
import { Sessions, type ClientInfo } from '../src/mcp/session.js'
import { Tools, type ToolEntry } from '../src/mcp/tools.js'

export interface McpOptions {
  /** serverInfo.name (default 'linefy'). */
  name?: string
  /** serverInfo.version (default '0.0.0'). */
  version?: string
  title?: string
  /** Guidance for the model on using this server, sent in initialize's result. */
  instructions?: string
  /** Methods to serve as tools besides those with `mcp` options, by name or with those options. */
  tools?: ToolEntry[]
  /** Entries per page of every list (default 100). */
  pageSize?: number
  /** Resource subscriptions one session may hold (default 1024). */
  maxSubscriptions?: number
  /** Streamable HTTP on the app's HTTP listeners (plugins/http.ts): where, and how; false for none (default { path: '/mcp' }). */
  http?: McpHttpOptions | false
  /** Requests of one session that may run at once, replies matched by id (default 16; the app's perConnection if higher). */
  perSession?: number
}

/** What the plugin adds as `app.mcp`. */
export interface McpApi {
  /** Shows or hides a tool; the sessions get notifications/tools/list_changed when that changes the list. */
  setToolEnabled (name: string, enabled: boolean): void
  removeResource (uri: string): void
  removePrompt (name: string): void
  /** Tells the sessions subscribed to `uri` that it changed (notifications/resources/updated). */
  resourceUpdated (uri: string): void
  /** What the client of an initialized connection said of itself; undefined for any other connection. */
  client (conn: Connection): ClientInfo | undefined
}

declare module '../src/core/instance.js' {
  interface LinefyInstance {
    mcp: McpApi
    /** An MCP resource (a URI) or resource template (`{var}` in it); after ready() the sessions hear of it. */
    resource: (uri: string, opts: ResourceOptions, handler: ResourceHandler) => LinefyInstance
    /** An MCP prompt; after ready() the sessions hear of it. */
    prompt: (name: string, opts: PromptOptions, handler: PromptHandler) => LinefyInstance
  }
}

function whole (opts: McpOptions, name: 'pageSize' | 'maxSubscriptions' | 'perSession', fallback: number): number {
  const v = opts[name] ?? fallback
  if (!Number.isInteger(v) || v < 1) throw new codes.LINEFY_ERR_INVALID_OPTION(name, `of the mcp plugin must be an integer >= 1, got ${String(v)}`)
  return v
}

type Listed = Request<{ cursor?: string } | undefined>

/**
 * Serves the Model Context Protocol from the app's own method table: methods
 * opted in with `mcp` (or named in `tools`) are tools, app.resource() and
 * app.prompt() add the rest. Each connection that sends initialize is a
 * session, which speaks spec JSON-RPC even in a seed daemon and gets no
 * reply for a cancelled request, as MCP asks.
 */
export default plugin<McpOptions>(async function mcp (app, opts) {
  const pageSize = whole(opts, 'pageSize', 100)
  const maxSubscriptions = whole(opts, 'maxSubscriptions', 1024)
  const perSession = whole(opts, 'perSession', 16)
  const serverInfo = defined({ name: opts.name ?? 'linefy', version: opts.version ?? '0.0.0', title: opts.title })
  const sessions = new Sessions()
  const tools = new Tools(pageSize)
  const resources = new Resources(pageSize)
  const prompts = new Prompts(pageSize)
  let started = false
  const changed = (what: string): void => { if (started) sessions.broadcast(`notifications/${what}/list_changed`) }

  if (opts.http !== false) addHttpRoute(app, opts.http?.path ?? '/mcp', mcpHttpRoute(app, opts.http ?? {}))

  app.addHook('onReady', () => {
    tools.build(app.methods(), opts.tools ?? [])
    started = true
  })

  app.decorate('mcp', {
    setToolEnabled: (name, enabled) => { if (tools.setEnabled(name, enabled)) changed('tools') },
    removeResource: (uri) => { if (resources.remove(uri)) changed('resources') },
    removePrompt: (name) => { if (prompts.remove(name)) changed('prompts') },
    resourceUpdated: (uri) => { for (const s of sessions.all()) if (s.subscriptions.has(uri)) s.notify('notifications/resources/updated', { uri }) },
    client: (conn) => sessions.client(conn)
  } satisfies McpApi)
  app.decorate('resource', function (this: LinefyInstance, uri: string, o: ResourceOptions, handler: ResourceHandler) {
    resources.add(uri, o, handler)
    changed('resources')
    return this
  })
  app.decorate('prompt', function (this: LinefyInstance, name: string, o: PromptOptions, handler: PromptHandler) {
    prompts.add(name, o, handler)
    changed('prompts')
    return this
  })

  app.method('initialize', { connectionCompat: 'spec', schema: { params: Params.initialize } }, (req) => {
    const s = sessions.of(req.connection)
    if (s.client !== null) throw new codes.LINEFY_ERR_MCP_ALREADY_INITIALIZED()
    const protocolVersion = negotiate(req.params.protocolVersion)
    const conn = req.connection
    conn.answerCancelled = false
    conn.perConnection = Math.max(conn.perConnection, perSession)
    sessions.initialized(s, { protocolVersion, clientInfo: req.params.clientInfo ?? {}, capabilities: req.params.capabilities ?? {} })
    return defined({ protocolVersion, capabilities: CAPABILITIES, serverInfo, instructions: opts.instructions })
  })
  // the 2026-07-28 revision's handshake-free probe: a client that finds no version of its own here falls back to initialize
  app.method('server/discover', { connectionCompat: 'spec' }, (req) => {
    req.connection.answerCancelled = false
    return defined({ resultType: 'complete', supportedVersions: [...PROTOCOL_VERSIONS].reverse(), capabilities: CAPABILITIES, serverInfo, instructions: opts.instructions })
  })
  app.method('notifications/initialized', () => {})
  app.method('ping', () => ({}))

  app.method('tools/list', { schema: { params: Params.list } }, (req: Listed) => {
    sessions.ready(req)
    return tools.list(req.params?.cursor)
  })
  app.method('tools/call', { gated: false, schema: { params: Params.call } }, (req) => tools.call(req, sessions.ready(req)))

  app.method('resources/list', { schema: { params: Params.list } }, (req: Listed) => {
    sessions.ready(req)
    return resources.list(req.params?.cursor)
  })
  app.method('resources/templates/list', { schema: { params: Params.list } }, (req: Listed) => {
    sessions.ready(req)
    return resources.listTemplates(req.params?.cursor)
  })
  app.method('resources/read', { schema: { params: Params.uri } }, (req) => {
    sessions.ready(req)
    return resources.read(req.params.uri, req)
  })
  app.method('resources/subscribe', { schema: { params: Params.uri } }, (req) => {
    const s = sessions.ready(req)
    if (!s.subscriptions.has(req.params.uri) && s.subscriptions.size >= maxSubscriptions) throw new codes.LINEFY_ERR_MCP_TOO_MANY_SUBSCRIPTIONS(maxSubscriptions)
    s.subscriptions.add(req.params.uri)
    return {}
  })
  app.method('resources/unsubscribe', { schema: { params: Params.uri } }, (req) => {
    sessions.ready(req).subscriptions.delete(req.params.uri)
    return {}
  })

  app.method('prompts/list', { schema: { params: Params.list } }, (req: Listed) => {
    sessions.ready(req)
    return prompts.list(req.params?.cursor)
  })
  app.method('prompts/get', { schema: { params: Params.getPrompt } }, (req) => {
    sessions.ready(req)
    return prompts.get(req.params.name, req.params.arguments ?? {}, req)
  })
  app.method('completion/complete', { schema: { params: Params.complete } }, (req) => {
    sessions.ready(req)
    return complete(req.params as CompleteParams, prompts, resources, req)
  })
  app.method('logging/setLevel', { schema: { params: Params.setLevel } }, (req) => {
    sessions.ready(req).logLevel = LOG_LEVELS.indexOf(req.params.level as LogLevel)
    return {}
  })
}, { name: 'linefy-mcp' })

export type { ClientInfo } from '../src/mcp/session.js'
export type { McpHttpOptions } from '../src/mcp/http.js'
export type { ToolEntry } from '../src/mcp/tools.js'
export type { ResourceOptions, ResourceHandler, ResourceValue, ResourceContents, Completer } from '../src/mcp/resources.js'
export type { PromptOptions, PromptHandler, PromptValue, PromptMessage, PromptArgument } from '../src/mcp/prompts.js'
export { PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION } from '../src/mcp/protocol.js'
