import t from 'tap'
import {
  CreateMessageRequestSchema, LoggingMessageNotificationSchema, PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema, McpError
} from '@modelcontextprotocol/sdk/types.js'
import linefy, { Type, type LinefyInstance, type Request } from '../index.js'
import mcp from '../plugins/mcp.js'
import { mcpClient, notifications } from './helpers/mcp.js'
import { deferred, tempSocket, type Teardown } from './helpers/util.js'
import { serveOn } from './helpers/wire.js'

/** An app with MCP on a real socket, and the SDK's Client reaching it through a real `linefy bridge`. */
async function hosted (t: Teardown, build: (app: LinefyInstance) => void, capabilities: Record<string, unknown> = {}) {
  const path = tempSocket(t)
  const app = linefy({ compat: 'seed' })
  app.register(mcp, { name: 'features', version: '1.0.0' })
  app.register(async (app) => build(app))
  await serveOn(t, app, path)
  return { app, ...await mcpClient(t, ['bridge', '--socket', path], capabilities) }
}

function files (app: LinefyInstance): void {
  app.resource('memo://readme', { name: 'readme', mimeType: 'text/plain', description: 'the readme' }, () => 'hello')
  app.resource('memo://logo', { name: 'logo', mimeType: 'image/png' }, () => new Uint8Array([1, 2, 3]))
  app.resource('memo://notes/{id}', {
    name: 'note',
    mimeType: 'application/json',
    complete: { id: (value) => ['alpha', 'beta', 'gamma'].filter((v) => v.startsWith(value)) }
  }, (uri, vars) => ({ text: JSON.stringify({ uri, id: vars.id }) }))
  app.resource('memo://tree/{+path}', { name: 'tree' }, (_uri, vars) => [{ text: vars.path as string }, { blob: 'AA==' }])
}

t.test('resources and templates are listed and read through the SDK client; an unknown URI is -32002', async (t) => {
  const { client } = await hosted(t, files)
  t.same((await client.listResources()).resources, [
    { uri: 'memo://readme', name: 'readme', description: 'the readme', mimeType: 'text/plain' },
    { uri: 'memo://logo', name: 'logo', mimeType: 'image/png' }
  ])
  t.same((await client.listResourceTemplates()).resourceTemplates, [
    { uriTemplate: 'memo://notes/{id}', name: 'note', mimeType: 'application/json' },
    { uriTemplate: 'memo://tree/{+path}', name: 'tree' }
  ])
  t.same((await client.readResource({ uri: 'memo://readme' })).contents, [{ uri: 'memo://readme', mimeType: 'text/plain', text: 'hello' }])
  t.same((await client.readResource({ uri: 'memo://logo' })).contents, [{ uri: 'memo://logo', mimeType: 'image/png', blob: 'AQID' }])
  t.same((await client.readResource({ uri: 'memo://notes/a%20b' })).contents, [{ uri: 'memo://notes/a%20b', mimeType: 'application/json', text: '{"uri":"memo://notes/a%20b","id":"a b"}' }])
  t.same((await client.readResource({ uri: 'memo://tree/x/y' })).contents, [{ uri: 'memo://tree/x/y', text: 'x/y' }, { uri: 'memo://tree/x/y', blob: 'AA==' }])
  const missing = await client.readResource({ uri: 'memo://nope' }).catch((err: unknown) => err)
  t.ok(missing instanceof McpError)
  t.match(missing, { code: -32002, message: /resource not found: memo:\/\/nope/ })
})

t.test('prompts are listed and got with their arguments; a missing required argument or unknown prompt is -32602', async (t) => {
  const { client } = await hosted(t, (app) => {
    app.prompt('greet', { description: 'says hello', arguments: [{ name: 'who', required: true }] }, (args) => `Hello ${args.who}`)
    app.prompt('chat', {}, () => [{ role: 'user', content: { type: 'text', text: 'hi' } }, { role: 'assistant', content: { type: 'text', text: 'hello' } }])
    app.prompt('described', {}, () => ({ description: 'from the handler', messages: [] }))
    app.prompt('broken', {}, () => [{ role: 'system', content: 'nope' }] as never)
  })
  t.same((await client.listPrompts()).prompts, [
    { name: 'greet', description: 'says hello', arguments: [{ name: 'who', required: true }] },
    { name: 'chat' }, { name: 'described' }, { name: 'broken' }
  ])
  t.same(await client.getPrompt({ name: 'greet', arguments: { who: 'Ada' } }), { description: 'says hello', messages: [{ role: 'user', content: { type: 'text', text: 'Hello Ada' } }] })
  t.same((await client.getPrompt({ name: 'chat' })).messages.map((m) => m.role), ['user', 'assistant'])
  t.same(await client.getPrompt({ name: 'described' }), { description: 'from the handler', messages: [] })
  t.match(await client.getPrompt({ name: 'greet' }).catch((e: unknown) => e), { code: -32602, message: /prompt 'greet' needs the argument 'who'/ })
  t.match(await client.getPrompt({ name: 'ghost' }).catch((e: unknown) => e), { code: -32602, message: /unknown prompt 'ghost'/ })
  t.match(await client.getPrompt({ name: 'broken' }).catch((e: unknown) => e), { message: /not \{ role: "user" \| "assistant", content: <MCP content> \}/ })
})

t.test('completion/complete suggests values for prompt arguments and template variables, at most 100', async (t) => {
  const { client } = await hosted(t, (app) => {
    files(app)
    app.prompt('pick', {
      arguments: [{ name: 'n' }, { name: 'free' }],
      complete: { n: (value, ctx) => Array.from({ length: 150 }, (_, i) => `${ctx.arguments.prefix ?? ''}${value}${i}`) }
    }, () => 'x')
  })
  t.same((await client.complete({ ref: { type: 'ref/resource', uri: 'memo://notes/{id}' }, argument: { name: 'id', value: 'b' } })).completion, { values: ['beta'], total: 1, hasMore: false })
  const many = (await client.complete({ ref: { type: 'ref/prompt', name: 'pick' }, argument: { name: 'n', value: 'v' }, context: { arguments: { prefix: 'p-' } } })).completion
  t.same([many.values.length, many.values[0], many.total, many.hasMore], [100, 'p-v0', 150, true])
  t.same((await client.complete({ ref: { type: 'ref/prompt', name: 'pick' }, argument: { name: 'free', value: '' } })).completion, { values: [], total: 0, hasMore: false })
  t.match(await client.complete({ ref: { type: 'ref/resource', uri: 'memo://none/{x}' }, argument: { name: 'x', value: '' } }).catch((e: unknown) => e), { code: -32602, message: /nothing to complete for resource template/ })
})

t.test('logging/setLevel sends a tool\'s log lines at or above the level as notifications/message', async (t) => {
  const { client } = await hosted(t, (app) => {
    app.method('chatty', { mcp: { description: 'logs' } }, (req: Request) => {
      req.log.debug('too quiet')
      req.log.info({ step: 1 }, 'working on %s', 'it')
      req.log.error(new Error('bad thing'))
      return 'done'
    })
  })
  const messages = notifications<{ params: unknown }>(client, LoggingMessageNotificationSchema)
  await client.callTool({ name: 'chatty' })
  await client.setLoggingLevel('info')
  await client.callTool({ name: 'chatty' })
  t.same((await messages.next()).params, { level: 'info', logger: 'chatty', data: { step: 1, msg: 'working on it' } })
  t.same((await messages.next()).params, { level: 'error', logger: 'chatty', data: { err: 'bad thing' } })
  await client.setLoggingLevel('emergency')
  await client.callTool({ name: 'chatty' })
  t.equal(messages.all.length, 2, 'nothing before setLevel, nothing below the level')
})

t.test('sessions hear of changed lists, and subscribers of changed resources', async (t) => {
  const { app, client } = await hosted(t, (app) => {
    files(app)
    app.prompt('p', {}, () => 'x')
    app.method('t', { mcp: { description: 't' } }, () => 1)
  })
  const tools = notifications(client, ToolListChangedNotificationSchema)
  const resources = notifications(client, ResourceListChangedNotificationSchema)
  const prompts = notifications(client, PromptListChangedNotificationSchema)
  const updated = notifications<{ params: { uri: string } }>(client, ResourceUpdatedNotificationSchema)
  app.mcp.setToolEnabled('t', false)
  await tools.next()
  t.same((await client.listTools()).tools, [])
  app.resource('memo://new', { name: 'new' }, () => 'new')
  await resources.next()
  t.equal((await client.listResources()).resources.length, 3)
  app.mcp.removeResource('memo://new')
  await resources.next()
  app.prompt('q', {}, () => 'q')
  await prompts.next()
  app.mcp.removePrompt('q')
  await prompts.next()
  t.same((await client.listPrompts()).prompts.map((p) => p.name), ['p'])

  await client.subscribeResource({ uri: 'memo://readme' })
  app.mcp.resourceUpdated('memo://logo')
  app.mcp.resourceUpdated('memo://readme')
  t.same((await updated.next()).params, { uri: 'memo://readme' }, 'only the subscribed URI')
  await client.unsubscribeResource({ uri: 'memo://readme' })
  app.mcp.resourceUpdated('memo://readme')
  await client.ping()
  t.equal(updated.all.length, 1, 'nothing after unsubscribe')
  t.throws(() => app.resource('memo://readme', { name: 'again' }, () => ''), { code: 'LINEFY_ERR_MCP_DUPLICATE' })
  t.throws(() => app.prompt('p', {}, () => ''), { code: 'LINEFY_ERR_MCP_DUPLICATE' })
})

t.test('a tool asks the host to sample through conn.request(), and a host cancel reaches the tool\'s signal', async (t) => {
  const aborted = deferred<unknown>()
  const { client } = await hosted(t, (app) => {
    app.method('ask', { mcp: { description: 'asks the model' }, schema: { params: Type.Object({ q: Type.String() }) } }, async (req) => {
      const client = app.mcp.client(req.connection)
      const answer = await req.connection.request('sampling/createMessage', {
        messages: [{ role: 'user', content: { type: 'text', text: req.params.q } }], maxTokens: 10
      }) as { content: { text: string } }
      return { answer: answer.content.text, client: client?.clientInfo.name, sampling: client?.capabilities.sampling !== undefined }
    })
    app.method('wait', { mcp: { description: 'waits for a cancel' } }, (req: Request) => new Promise(() => {
      req.signal.addEventListener('abort', () => aborted.resolve(req.signal.reason))
    }))
  }, { sampling: {} })
  client.setRequestHandler(CreateMessageRequestSchema, async (r) => ({
    role: 'assistant', model: 'test', content: { type: 'text', text: `you said ${(r.params.messages[0]?.content as { text: string }).text}` }
  }))
  t.same((await client.callTool({ name: 'ask', arguments: { q: 'hi' } })).structuredContent, { answer: 'you said hi', client: 'linefy-test', sampling: true })
  const ac = new AbortController()
  const call = client.callTool({ name: 'wait' }, undefined, { signal: ac.signal })
  await client.ping()
  ac.abort()
  await call.catch(() => {})
  t.match(await aborted.promise, { code: 'LINEFY_ERR_CANCELLED' })
})

t.test('a session holds a bounded number of subscriptions', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  app.register(mcp, { maxSubscriptions: 1 })
  await serveOn(t, app, path)
  const { client } = await mcpClient(t, ['bridge', '--socket', path])
  await client.subscribeResource({ uri: 'a://1' })
  await client.subscribeResource({ uri: 'a://1' })
  t.match(await client.subscribeResource({ uri: 'a://2' }).catch((e: unknown) => e), { code: -32602, message: /already holds 1 resource subscriptions/ })
})
