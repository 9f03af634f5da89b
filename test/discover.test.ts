import t from 'tap'
import linefy, { Type, type TSchema } from '../index.js'
import discover, { serverOf } from '../plugins/discover.js'
import { connect } from '../client.js'
import { openRpcErrors } from './helpers/openrpc.js'
import { captureLogger, rpc, tempSocket } from './helpers/util.js'
import { serveDaemon } from './helpers/process.js'
import { connect as rawConnect } from './helpers/wire.js'

const Point = Type.Object({ x: Type.Number(), y: Type.Number({ description: 'up is positive' }), label: Type.Optional(Type.String()) })

function memoryApp (): ReturnType<typeof linefy> {
  const app = linefy()
  app.register(discover, { info: { title: 'memd', version: '2.1.0', description: 'A memory daemon.' } })
  app.method('memory.recall', {
    schema: { params: Type.Object({ cue: Type.String(), limit: Type.Optional(Type.Integer({ minimum: 1 })) }), result: Type.Array(Type.String()) },
    summary: 'Recalls what matches a cue.',
    description: 'Returns at most `limit` memories, best first.',
    examples: [{ name: 'one cue', params: { limit: 1, cue: 'tea' }, result: ['green tea'] }],
    timeout: 5000
  }, (req) => [req.params.cue])
  app.method('move', { schema: { params: Type.Tuple([Type.Number({ title: 'dx' }), Type.Number()]), result: Point } }, (req) => ({ x: req.params[0], y: req.params[1] }))
  app.method('echo', (req) => req.params)
  app.method('pause', { schema: { params: Type.Union([Type.Undefined(), Type.Object({ reason: Type.Optional(Type.String()) })]), result: Type.Void() } }, () => {})
  return app
}

t.test('rpc.discover answers an OpenRPC 1.3 document of the method table that the meta-schema accepts', async (t) => {
  const app = memoryApp()
  t.teardown(() => app.close())
  const doc = (await app.inject(rpc(1, 'rpc.discover')))?.result as Record<string, any>
  t.same(openRpcErrors(doc), [], 'valid against @open-rpc/meta-schema')
  t.equal(doc.openrpc, '1.3.2')
  t.same(doc.info, { title: 'memd', version: '2.1.0', description: 'A memory daemon.' })
  t.same(doc.servers, [], 'listening nowhere: inject only')
  t.same(doc.methods.map((m: { name: string }) => m.name), ['memory.recall', 'move', 'echo', 'pause'], 'in registration order, rpc.discover itself left out')
  t.same(doc.methods[0], {
    name: 'memory.recall',
    paramStructure: 'by-name',
    params: [
      { name: 'cue', schema: { type: 'string' }, required: true },
      { name: 'limit', schema: { type: 'integer', minimum: 1 }, required: false }
    ],
    result: { name: 'result', schema: { type: 'array', items: { type: 'string' } } },
    errors: ['InvalidParams', 'InternalError', 'HandlerFailed', 'Timeout', 'Overloaded', 'ShuttingDown', 'Cancelled'].map((e) => ({ $ref: `#/components/errors/${e}` })),
    summary: 'Recalls what matches a cue.',
    description: 'Returns at most `limit` memories, best first.',
    examples: [{ name: 'one cue', params: [{ name: 'cue', value: 'tea' }, { name: 'limit', value: 1 }], result: { name: 'result', value: ['green tea'] } }]
  })
  t.match(doc.methods[1], {
    paramStructure: 'by-position',
    params: [{ name: 'dx', schema: { type: 'number', title: 'dx' }, required: true }, { name: 'arg1', schema: { type: 'number' }, required: true }],
    result: { schema: { type: 'object', required: ['x', 'y'], properties: { y: { description: 'up is positive' } } } }
  })
  t.same(doc.methods[2], {
    name: 'echo',
    paramStructure: 'either',
    params: [],
    result: { name: 'result', schema: {} },
    errors: ['InternalError', 'HandlerFailed', 'Overloaded', 'ShuttingDown', 'Cancelled'].map((e) => ({ $ref: `#/components/errors/${e}` }))
  }, 'no params schema: any params, any result, no -32602 and no -32003')
  t.match(doc.methods[3], {
    paramStructure: 'by-name',
    params: [{ name: 'reason', required: false }],
    result: { schema: { type: 'null' } },
    'x-linefy-params-optional': true
  }, 'params that may be left out, and a void result answered null')
  t.same(doc.components.errors.InvalidParams, { code: -32602, message: "params fail the method's schema" })
  t.same(Object.values(doc.components.errors).map((e: any) => e.code), [-32700, -32600, -32601, -32602, -32603, -32001, -32003, -32004, -32005, -32800])
})

t.test('servers name every address the daemon listens on', async (t) => {
  const path = tempSocket(t, 'memd sock#1')
  const app = memoryApp()
  t.teardown(() => app.close())
  await app.listen({ path })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.addresses()[1] as { port: number }
  const client = await connect(path)
  t.teardown(() => client.close())
  const doc = await client.call('rpc.discover') as Record<string, any>
  t.same(doc.servers, [
    { name: 'unix', url: 'unix://' + path.split('/').map(encodeURIComponent).join('/') },
    { name: 'tcp', url: `tcp://127.0.0.1:${port}` }
  ])
  t.match(doc.servers[0].url, /^unix:\/\/\/.*\/memd%20sock%231$/)
  t.same(openRpcErrors(doc), [], 'the URLs are URIs')
})

t.test('each kind of address becomes a server URL', async (t) => {
  t.same(serverOf('/run/user/1000/memd.sock'), { name: 'unix', url: 'unix:///run/user/1000/memd.sock' })
  t.same(serverOf('run/memd.sock'), { name: 'unix', url: 'unix:run/memd.sock' }, 'a relative path has no authority')
  t.same(serverOf('fd:3'), { name: 'fd', url: 'fd:3' })
  t.same(serverOf('stdio'), { name: 'stdio', url: 'stdio://' })
  t.same(serverOf({ address: '::1', family: 'IPv6', port: 4000 }), { name: 'tcp', url: 'tcp://[::1]:4000' })
  const doc = { openrpc: '1.3.2', info: { title: 't', version: '1' }, methods: [], servers: ['/a b', 'x', 'fd:3', 'stdio'].map(serverOf) }
  t.same(openRpcErrors(doc), [])
})

t.test('rpc.discover takes no params: none, [] and {} are answered, anything else -32602', async (t) => {
  const app = memoryApp()
  t.teardown(() => app.close())
  const replies = await app.inject([rpc(1, 'rpc.discover', []), rpc(2, 'rpc.discover', {}), rpc(3, 'rpc.discover', [1]), rpc(4, 'rpc.discover', { full: true })])
  t.ok(replies[0]?.result !== undefined && replies[1]?.result !== undefined)
  for (const r of replies.slice(2)) t.same(r?.error, { code: -32602, message: 'invalid params at /: rpc.discover takes no params' })
})

t.test('the document is described once at ready(), built once, and answered from that string', async (t) => {
  const { log, records } = captureLogger('debug')
  const app = linefy({ logger: log })
  app.register(discover)
  const Params = Type.Object({ key: Type.String(), value: Type.Optional(Type.Integer()) })
  for (let i = 0; i < 10_000; i++) app.method(`kv.set${i}`, { schema: { params: Params, result: Type.Boolean() } }, () => true)
  const path = tempSocket(t)
  t.teardown(() => app.close())
  await app.listen({ path })
  const client = await rawConnect(path, t)
  client.send(rpc(1, 'rpc.discover'))
  const first = await client.lines.nextLine(30_000)
  client.send(rpc(2, 'rpc.discover'))
  const second = await client.lines.nextLine(30_000)
  t.ok(first.startsWith('{"jsonrpc":"2.0","id":1,"result":{"openrpc":"1.3.2"'))
  t.equal(second, first.replace('"id":1,', '"id":2,'), 'the same document, byte for byte')
  t.equal(JSON.parse(first).result.methods.length, 10_000)
  t.match(records.filter((r) => r.msg === 'OpenRPC document built'), [{ methods: 10_000 }], 'built once for both calls')
  t.equal(records.filter((r) => r.msg === 'OpenRPC document built').length, 1)
})

t.test('a new address rebuilds the document, so servers stay true', async (t) => {
  const app = memoryApp()
  t.teardown(() => app.close())
  t.match((await app.inject(rpc(1, 'rpc.discover')))?.result, { servers: [] }, 'before')
  const path = tempSocket(t)
  await app.listen({ path })
  t.match((await app.inject(rpc(2, 'rpc.discover')))?.result, { servers: [{ name: 'unix' }] })
})

t.test('a method OpenRPC cannot describe fails ready() with LINEFY_ERR_SCHEMA_NOT_DESCRIBABLE naming it', async (t) => {
  const cases: Array<[string, { params?: TSchema, result?: TSchema }, RegExp]> = [
    ['when', { params: Type.Object({ at: Type.Date() }) }, /its params schema at \/properties\/at is of type 'Date', which JSON Schema cannot express/],
    ['blob', { result: Type.Object({ bytes: Type.Uint8Array() }) }, /its result schema at \/properties\/bytes is of type 'Uint8Array'/],
    ['big', { params: Type.Tuple([Type.BigInt()]) }, /its params schema at \/items\/0 is of type 'bigint'/],
    ['deep', { result: Type.Array(Type.Union([Type.String(), Type.Object({ f: Type.Function([], Type.Void()) })])) }, /its result schema at \/items\/anyOf\/1\/properties\/f is of type 'Function'/],
    ['name', { params: Type.String() }, /its params schema is neither an object nor a tuple: OpenRPC names params \(Type.Object, by-name\) or lists them \(Type.Tuple, by-position\)/],
    ['list', { params: Type.Array(Type.String()) }, /its params schema is neither an object nor a tuple/],
    ['dict', { params: Type.Record(Type.String(), Type.Number()) }, /its params schema is neither an object nor a tuple/],
    ['both', { params: Type.Intersect([Type.Object({ a: Type.String() }), Type.Object({ b: Type.String() })]) }, /its params schema is neither an object nor a tuple: .*; Type.Composite flattens an intersection into one object$/],
    ['either', { params: Type.Union([Type.Undefined(), Type.Object({ a: Type.String() }), Type.Tuple([Type.String()])]) }, /its params schema is a union: OpenRPC describes one params shape per method/],
    ['tree', { result: Type.Recursive((Node) => Type.Object({ children: Type.Array(Node) })) }, /its result schema at \/properties\/children\/items refers to another schema \(\$ref\)/],
    ['types', { result: Type.Unsafe({ type: ['string', 'symbol'] }) }, /its result schema at \/ is of type 'symbol'/],
    ['link', { result: Type.Unsafe({ $ref: '#/components/schemas/Link' }) }, /its result schema at \/ refers to another schema/]
  ]
  for (const [name, schema, message] of cases) {
    const app = linefy()
    app.register(discover)
    app.method('fine', () => null)
    app.method(name, { schema }, () => null)
    await t.rejects(app.ready(), { code: 'LINEFY_ERR_SCHEMA_NOT_DESCRIBABLE', message: new RegExp(`^method '${name}' cannot be described in OpenRPC \\(rpc.discover\\): ` + message.source) }, name)
    await app.close()
  }
})

t.test('an example its schemas refuse fails ready() naming the method and the example', async (t) => {
  const schema = { params: Type.Object({ a: Type.Number() }), result: Type.Number() }
  const cases: Array<[object, RegExp]> = [
    [{ name: 'bad params', params: { a: 'one' }, result: 1 }, /the params of example 'bad params' do not match its params schema at \/a: Expected number/],
    [{ name: 'bad result', params: { a: 1 }, result: '1' }, /the result of example 'bad result' do not match its result schema at \/: Expected number/]
  ]
  for (const [example, message] of cases) {
    const app = linefy()
    app.register(discover)
    app.method('m', { schema, examples: [example as never] }, (req) => req.params.a)
    await t.rejects(app.ready(), { code: 'LINEFY_ERR_INVALID_OPTION', message: new RegExp("^option examples of method 'm': " + message.source) })
    await app.close()
  }
})

t.test('examples keep their params in the order the method lists them, by position too', async (t) => {
  const app = linefy()
  t.teardown(() => app.close())
  app.register(discover)
  app.method('pair', { schema: { params: Type.Tuple([Type.String(), Type.Integer()]) }, examples: [{ name: 'p', params: ['a', 1], result: 'a1' }] }, (req) => req.params.join(''))
  app.method('free', { examples: [{ name: 'list', params: [1, 2], result: [1, 2] }, { name: 'named', params: { z: 1, a: 2 }, result: null }] }, () => null)
  app.method('none', { schema: { params: Type.Union([Type.Undefined(), Type.Object({ n: Type.Optional(Type.Number()) })]), result: Type.Void() }, examples: [{ name: 'bare', result: undefined }] }, () => {})
  app.method('empty', { examples: [] }, () => null)
  app.method('nullary', { schema: { params: Type.Tuple([]) } }, () => null)
  const doc = (await app.inject(rpc(1, 'rpc.discover')))?.result as Record<string, any>
  t.same(openRpcErrors(doc), [])
  t.same(doc.methods[0].examples, [{ name: 'p', params: [{ name: 'arg0', value: 'a' }, { name: 'arg1', value: 1 }], result: { name: 'result', value: 'a1' } }])
  t.same(doc.methods[1].examples.map((e: any) => e.params), [[{ name: 'arg0', value: 1 }, { name: 'arg1', value: 2 }], [{ name: 'z', value: 1 }, { name: 'a', value: 2 }]])
  t.same(doc.methods[2].examples, [{ name: 'bare', params: [], result: { name: 'result', value: null } }], 'no params, a result of nothing: null')
  t.notOk('examples' in doc.methods[3], 'an empty list is left out')
  t.match(doc.methods[4], { paramStructure: 'by-position', params: [] }, 'an empty tuple: no params, by position')
})

t.test('the reference daemon answers rpc.discover by default, its demo methods described', async (t) => {
  const path = await serveDaemon(t)
  const client = await connect(path)
  t.teardown(() => client.close())
  const doc = await client.call('rpc.discover') as Record<string, any>
  t.same(openRpcErrors(doc), [])
  t.equal(doc.info.title, 'linefy reference daemon')
  t.same(doc.servers, [{ name: 'unix', url: 'unix://' + path }])
  t.same(doc.methods.map((m: any) => [m.name, m.paramStructure, m.result.schema]), [
    ['echo', 'either', {}],
    ['sleep', 'by-name', { type: 'object', required: ['slept'], properties: { slept: { type: 'integer' } } }],
    ['fail', 'by-name', { not: {} }],
    ['add', 'by-name', { type: 'number' }]
  ])
  t.equal(doc.methods[2]['x-linefy-params-optional'], true, 'fail may be called without params')
})
