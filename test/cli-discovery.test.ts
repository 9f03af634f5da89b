import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import linefy, { discover, Type } from '../index.js'
import { runCli, runMain, serveDaemon, startDaemon } from './helpers/process.js'
import { tempSocket } from './helpers/util.js'
import { serveOn } from './helpers/wire.js'

const demoApi = readFileSync(new URL('../fixtures/demo-api.d.ts', import.meta.url), 'utf8')

/** An app with discovery and methods of every shape, served on a fresh socket. */
async function serveShapes (t: Test): Promise<string> {
  const path = tempSocket(t)
  const app = linefy()
  app.register(discover, { info: { title: 'shapes', version: '1.2.3' } })
  app.method('memory.recall', {
    schema: {
      params: Type.Object({ cue: Type.String(), 'max-age': Type.Optional(Type.Integer()) }),
      result: Type.Array(Type.Object({ text: Type.String(), score: Type.Union([Type.Number(), Type.Null()]) }))
    },
    summary: 'Recalls what matches a cue.'
  }, () => [])
  app.method('move', {
    schema: { params: Type.Tuple([Type.Number({ title: 'dx' }), Type.Number({ title: 'dy' })]), result: Type.Tuple([Type.Number(), Type.Number()]) },
    examples: [{ name: 'right', params: [1, 0], result: [1, 0] }]
  }, (req) => req.params)
  app.method('tag', { schema: { params: Type.Tuple([Type.String(), Type.Array(Type.Union([Type.String(), Type.Integer()]))]), result: Type.Record(Type.String(), Type.Boolean()) } }, () => ({}))
  app.method('level', { schema: { params: Type.Object({ to: Type.Union([Type.Literal('debug'), Type.Literal('info')]) }), result: Type.Void() } }, () => {})
  app.method('ping', { schema: { params: Type.Object({}), result: Type.Literal('pong') } }, () => 'pong' as const)
  await serveOn(t, app, path)
  return path
}

t.test('the real CLI: methods lists the reference daemon\'s methods, one signature a line', async (t) => {
  const path = tempSocket(t)
  await startDaemon(t, path)
  t.same(await runCli(t, ['methods', '--socket', path]), {
    code: 0,
    signal: null,
    stdout: [
      'echo unknown -> unknown',
      'sleep {ms: number} -> {slept: number}',
      'fail {message?: string} | undefined -> never',
      'add {a: number, b: number} -> number',
      ''
    ].join('\n'),
    stderr: ''
  })
})

t.test('methods writes each params and result shape as TypeScript', async (t) => {
  const path = await serveShapes(t)
  t.same((await runMain(['methods', '--socket', path])).stdout.split('\n'), [
    'memory.recall {cue: string, "max-age"?: number} -> {text: string, score: number | null}[]',
    'move [dx: number, dy: number] -> [number, number]',
    'tag [arg0: string, arg1: (string | number)[]] -> Record<string, boolean>',
    'level {to: "debug" | "info"} -> null',
    'ping Record<string, never> -> "pong"',
    ''
  ])
})

t.test('the real CLI: describe prints a method\'s signature, description, schemas, errors and examples', async (t) => {
  const path = await serveDaemon(t)
  t.same(await runCli(t, ['describe', '--socket', path, 'sleep']), {
    code: 0,
    signal: null,
    stdout: [
      'sleep {ms: number} -> {slept: number}',
      '',
      'Waits ms milliseconds, then says how long.',
      '',
      'Stops early, answering -32800, when the request is cancelled, and -32003 when the caller\'s timeout passes first.',
      '',
      'params (by-name):',
      '  ms: {"minimum":0,"maximum":60000,"type":"integer"}',
      'result:',
      '  {"type":"object","required":["slept"],"properties":{"slept":{"type":"integer"}}}',
      'errors:',
      '  -32602 params fail the method\'s schema',
      '  -32603 internal error, e.g. a result that cannot be serialised',
      '  -32001 the handler threw',
      '  -32004 server overloaded: retry later',
      '  -32005 server shutting down',
      '  -32800 request cancelled',
      'examples:',
      '  ten milliseconds: {"ms":10} -> {"slept":10}',
      ''
    ].join('\n'),
    stderr: ''
  })
})

t.test('describe says when params may be left out, are optional, or have no schema at all', async (t) => {
  const path = await serveDaemon(t)
  const fail = await runMain(['describe', '--socket', path, 'fail'])
  t.match(fail.stdout, /^fail \{message\?: string\} \| undefined -> never\n\nAlways fails: answers -32001 with the message given\.\n\nparams \(by-name, may be left out\):\n {2}message \(optional\): \{"type":"string"\}\nresult:\n {2}\{"not":\{\}\}\n/)
  const echo = await runMain(['describe', '--socket', path, 'echo'])
  t.match(echo.stdout, /^echo unknown -> unknown\n\nReturns its params as they came\.\n\nparams: any \(no schema\)\nresult:\n {2}\{\}\nerrors:\n/)
  const shapes = await serveShapes(t)
  const move = await runMain(['describe', '--socket', shapes, 'move'])
  t.match(move.stdout, /\nparams \(by-position\):\n {2}dx: \{"title":"dx","type":"number"\}\n {2}dy: /)
  t.match(move.stdout, /\nexamples:\n {2}right: \[1,0\] -> \[1,0\]\n$/, 'by-position example params as a list')
  const sleep = await runMain(['describe', '--socket', path, 'sleep'])
  t.match(sleep.stdout, /\nexamples:\n {2}ten milliseconds: \{"ms":10\} -> \{"slept":10\}\n$/, 'by-name example params as an object')
  const ping = await runMain(['describe', '--socket', shapes, 'ping'])
  t.match(ping.stdout, /\nparams \(by-name\):\n {2}none\nresult:\n {2}\{"const":"pong","type":"string"\}\n/)
})

t.test('describe of an unknown method names the closest ones and exits 1', async (t) => {
  const path = await serveDaemon(t)
  t.same(await runCli(t, ['describe', '--socket', path, 'slep']), { code: 1, signal: null, stdout: '', stderr: "linefy: the daemon has no method 'slep' (did you mean sleep?)\n" })
  t.match(await runMain(['describe', '--socket', path, 'a']), { code: 1, stderr: "linefy: the daemon has no method 'a' (did you mean add?)\n" })
  t.match(await runMain(['describe', '--socket', path, 'frobnicate']), { code: 1, stderr: "linefy: the daemon has no method 'frobnicate' (`linefy methods` lists them)\n" })
})

t.test('the real CLI: call answers an unknown method with the closest names', async (t) => {
  const path = await serveDaemon(t)
  t.same(await runCli(t, ['call', '--socket', path, 'ad', '{"a":1,"b":2}']), { code: 1, signal: null, stdout: '', stderr: "linefy: error -32601: unknown method 'ad' (did you mean add?)\n" })
  t.match(await runMain(['call', '--socket', path, 'ech']), { code: 1, stderr: "linefy: error -32601: unknown method 'ech' (did you mean echo?)\n" })
  t.match(await runMain(['call', '--socket', path, 'Sleep']), { code: 1, stderr: "linefy: error -32601: unknown method 'Sleep' (did you mean sleep?)\n" }, 'case does not count')
  t.match(await runMain(['call', '--socket', path, 'teleport']), { code: 1, stderr: "linefy: error -32601: unknown method 'teleport' (`linefy methods` lists them)\n" })
  t.match(await runMain(['call', '--socket', path, 'fail']), { code: 1, stderr: 'linefy: error -32001: demo failure\n' }, 'other errors are left as they are')
})

t.test('call suggests several names when several are as close', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  app.register(discover)
  for (const name of ['get', 'set', 'net', 'gets', 'unrelated']) app.method(name, () => null)
  await serveOn(t, app, path)
  t.match(await runMain(['call', '--socket', path, 'xet']), { code: 1, stderr: "linefy: error -32601: unknown method 'xet' (did you mean get, net or set?)\n" })
  t.match(await runMain(['call', '--socket', path, 'gts']), { code: 1, stderr: "linefy: error -32601: unknown method 'gts' (did you mean gets or get?)\n" })
})

t.test('the real CLI: types writes the reference daemon\'s Api, the file the type tests compile', async (t) => {
  const path = await serveDaemon(t)
  t.same(await runCli(t, ['types', '--socket', path]), { code: 0, signal: null, stdout: demoApi, stderr: '' })
})

t.test('types quotes names that are not identifiers and keeps multi-line descriptions in the comment', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  app.register(discover, { info: { title: 'memd', version: '2.0.0' } })
  app.method('memory.recall', { schema: { params: Type.Object({ cue: Type.String() }), result: Type.String() }, description: 'Line one.\nLine two, with a */ inside.' }, () => '')
  app.method('ping', { summary: 'Answers at once.' }, () => null)
  app.method('quiet', () => null)
  await serveOn(t, app, path)
  t.same((await runMain(['types', '--socket', path])).stdout, [
    '// The methods of memd 2.0.0, written by `linefy types` from its OpenRPC document.',
    "// import { connect } from 'linefy/client'; const client = await connect<Api>(path)",
    'export type Api = {',
    '  /**',
    '   * Line one.',
    '   * Line two, with a *\\/ inside.',
    '   */',
    '  "memory.recall": { params: {cue: string}, result: string }',
    '  /** Answers at once. */',
    '  ping: { params: unknown, result: unknown }',
    '  quiet: { params: unknown, result: unknown }',
    '}',
    ''
  ].join('\n'))
})

t.test('methods, describe and types on a daemon without discovery say how to add it', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  app.method('add', () => 0)
  await serveOn(t, app, path)
  const hint = `linefy: the daemon on ${path} does not answer rpc.discover, so its methods cannot be listed: register the discover plugin in it (app.register(discover), from linefy)\n`
  for (const argv of [['methods'], ['describe', 'add'], ['types']]) {
    t.same(await runMain([...argv, '--socket', path]), { code: 1, signal: null, stdout: '', stderr: hint }, argv[0])
  }
  t.match(await runMain(['call', '--socket', path, 'ad']), { code: 1, stderr: "linefy: error -32601: unknown method 'ad'\n" }, 'call: no names to suggest')
})

t.test('methods, describe and types: usage errors and a daemon that is not running', async (t) => {
  const path = tempSocket(t)
  t.match(await runMain(['describe', '--socket', path]), { code: 2, stderr: /^linefy: missing METHOD: run `linefy --help`/ })
  t.match(await runMain(['describe', '--socket', path, 'a', 'b']), { code: 2, stderr: /^linefy: unexpected argument 'b'/ })
  t.match(await runMain(['methods', 'extra']), { code: 2, stderr: /^linefy: unexpected argument 'extra'/ })
  t.match(await runMain(['types', '--bogus']), { code: 2, stderr: /Unknown option '--bogus'/ })
  for (const argv of [['methods'], ['describe', 'x'], ['types']]) {
    t.match(await runMain([...argv, '--socket', path]), { code: 1, stderr: /^linefy: no daemon is listening on / }, argv[0])
  }
})

t.test('a daemon that fails while the document is fetched is reported as its error', async (t) => {
  const path = tempSocket(t)
  const app = linefy()
  app.method('rpc.discover', () => { throw new Error('discovery is broken') })
  await serveOn(t, app, path)
  t.match(await runMain(['methods', '--socket', path]), { code: 1, stderr: 'linefy: error -32001: discovery is broken\n' })
  t.match(await runMain(['call', '--socket', path, 'nope']), { code: 1, stderr: "linefy: error -32601: unknown method 'nope'\n" }, 'no suggestions, the first error kept')
})
