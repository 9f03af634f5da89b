/**
 * An MCP server with everything the MCP project's conformance suite
 * (@modelcontextprotocol/conformance, `server` scenarios) expects, written
 * as a daemon author would: methods opted in as tools, app.resource(),
 * app.prompt(). `npm run conformance:mcp` starts it on Streamable HTTP and
 * runs the suite against it; `node dist/examples/mcp-everything.js [port]`
 * serves it on its own and prints its URL.
 */
import { setTimeout as delay } from 'node:timers/promises'
import linefy, { Type, type LinefyInstance, type Request } from '../index.js'
import mcp from '../plugins/mcp.js'

// a 1x1 red PNG and a silent 8-sample WAV
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='
const WAV = 'UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA=='

const noArgs = { schema: { params: Type.Object({}) } }
const tool = (description: string) => ({ ...noArgs, mcp: { description } })

function tools (app: LinefyInstance): void {
  app.method('test_simple_text', tool('Returns simple text'), () => ({ type: 'text', text: 'This is a simple text response for testing.' }))
  app.method('test_image_content', tool('Returns an image'), () => ({ type: 'image', data: PNG, mimeType: 'image/png' }))
  app.method('test_audio_content', tool('Returns audio'), () => ({ type: 'audio', data: WAV, mimeType: 'audio/wav' }))
  app.method('test_embedded_resource', tool('Returns an embedded resource'), () => ({
    type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' }
  }))
  app.method('test_multiple_content_types', tool('Returns text, an image and a resource'), () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } }
    ]
  }))
  app.method('test_tool_with_logging', tool('Logs three times while it runs'), async (req: Request) => {
    req.log.info('Tool execution started')
    await delay(50)
    req.log.info('Tool processing data')
    await delay(50)
    req.log.info('Tool execution completed')
    return { type: 'text', text: 'Logging test completed' }
  })
  app.method('test_error_handling', tool('Always fails'), () => {
    throw new Error('This tool intentionally returns an error for testing')
  })
  app.method('test_tool_with_progress', tool('Reports progress 0, 50, 100 of 100'), async (req: Request) => {
    req.progress(0, 100)
    await delay(50)
    req.progress(50, 100)
    await delay(50)
    req.progress(100, 100)
    return { type: 'text', text: 'Progress test completed' }
  })
  app.method('test_sampling', {
    schema: { params: Type.Object({ prompt: Type.String() }) },
    mcp: { description: 'Asks the client\'s model' }
  }, async (req) => {
    if (app.mcp.client(req.connection)?.capabilities.sampling === undefined) throw new Error('the client does not support sampling')
    const reply = await req.connection.request('sampling/createMessage', {
      messages: [{ role: 'user', content: { type: 'text', text: req.params.prompt } }], maxTokens: 100
    }, { signal: req.signal }) as { content?: { text?: string } }
    return { type: 'text', text: `LLM response: ${reply.content?.text ?? ''}` }
  })
  const elicit = async (req: Request, message: string, requestedSchema: object, prefix: string): Promise<object> => {
    if (app.mcp.client(req.connection)?.capabilities.elicitation === undefined) throw new Error('the client does not support elicitation')
    const r = await req.connection.request('elicitation/create', { message, requestedSchema }, { signal: req.signal }) as { action: string, content?: unknown }
    return { type: 'text', text: `${prefix}action=${r.action}, content=${JSON.stringify(r.content ?? {})}` }
  }
  app.method('test_elicitation', {
    schema: { params: Type.Object({ message: Type.String() }) },
    mcp: { description: 'Asks the user' }
  }, (req) => elicit(req, req.params.message, {
    type: 'object',
    properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } },
    required: ['username', 'email']
  }, 'User response: '))
  app.method('test_elicitation_sep1034_defaults', tool('Asks the user, with defaults'), (req: Request) => elicit(req, 'Please confirm your details', {
    type: 'object',
    properties: {
      name: { type: 'string', default: 'John Doe' },
      age: { type: 'integer', default: 30 },
      score: { type: 'number', default: 95.5 },
      status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', default: true }
    }
  }, 'Elicitation completed: '))
  app.method('test_elicitation_sep1330_enums', tool('Asks the user, with every kind of enum'), (req: Request) => elicit(req, 'Please pick', {
    type: 'object',
    properties: {
      untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      titledSingle: { type: 'string', oneOf: [{ const: 'value1', title: 'First Option' }, { const: 'value2', title: 'Second Option' }, { const: 'value3', title: 'Third Option' }] },
      legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
      untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
      titledMulti: { type: 'array', items: { anyOf: [{ const: 'value1', title: 'First Choice' }, { const: 'value2', title: 'Second Choice' }, { const: 'value3', title: 'Third Choice' }] } }
    }
  }, 'Elicitation completed: '))
  app.method('json_schema_2020_12_tool', {
    schema: {
      params: Type.Object({
        name: Type.Optional(Type.String()),
        address: Type.Optional(Type.Object({ street: Type.Optional(Type.String()), city: Type.Optional(Type.String()) }))
      }, {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
        additionalProperties: false
      })
    },
    mcp: { description: 'Tool with JSON Schema 2020-12 features' }
  }, (req) => req.params)
}

function resources (app: LinefyInstance): void {
  app.resource('test://static-text', { name: 'static-text', description: 'A static text resource', mimeType: 'text/plain' },
    () => 'This is the content of the static text resource.')
  app.resource('test://static-binary', { name: 'static-binary', description: 'A static binary resource', mimeType: 'image/png' },
    () => Buffer.from(PNG, 'base64'))
  app.resource('test://watched-resource', { name: 'watched-resource', description: 'A resource to subscribe to', mimeType: 'text/plain' },
    () => 'Watched resource content.')
  app.resource('test://template/{id}/data', { name: 'template', description: 'Data by id', mimeType: 'application/json' },
    (_uri, vars) => JSON.stringify({ id: vars.id, templateTest: true, data: `Data for ID: ${vars.id as string}` }))
}

function prompts (app: LinefyInstance): void {
  app.prompt('test_simple_prompt', { description: 'A simple prompt' }, () => 'This is a simple prompt for testing.')
  app.prompt('test_prompt_with_arguments', {
    description: 'A prompt with arguments',
    arguments: [{ name: 'arg1', description: 'First test argument', required: true }, { name: 'arg2', description: 'Second test argument', required: true }],
    complete: { arg1: (value) => ['paris', 'park', 'party'].filter((v) => v.startsWith(value)) }
  }, (args) => `Prompt with arguments: arg1='${args.arg1 as string}', arg2='${args.arg2 as string}'`)
  app.prompt('test_prompt_with_embedded_resource', {
    description: 'A prompt embedding a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }]
  }, (args) => [
    { role: 'user', content: { type: 'resource', resource: { uri: args.resourceUri as string, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
    { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } }
  ])
  app.prompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => [
    { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
    { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } }
  ])
}

export function everything (): LinefyInstance {
  const app = linefy({ logger: { level: 'warn' } })
  app.register(mcp, { name: 'linefy-everything', version: '1.0.0' })
  app.register(async (app) => {
    tools(app)
    resources(app)
    prompts(app)
  })
  return app
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const app = everything()
  process.once('SIGTERM', () => { void app.close() })
  process.once('SIGINT', () => { void app.close() })
  await app.listen({ http: { port: Number(process.argv[2] ?? 0) } })
  process.stdout.write(`${String(app.addresses()[0])}/mcp\n`)
}
