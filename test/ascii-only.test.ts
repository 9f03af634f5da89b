import net from 'node:net'
import t, { type Test } from 'tap'
import linefy, { contentLength, type LinefyOptions } from '../index.js'
import { buildDaemon } from '../src/daemon/daemon.js'
import { deferred, tempSocket, waitFor } from './helpers/util.js'
import { bigTexts } from './helpers/texts.js'
import { connect, serveOn } from './helpers/wire.js'

/**
 * The iai-mcp MCP wrapper's way of reading replies (mcp-wrapper/src/bridge.ts,
 * PythonCoreBridge.handleData): every chunk decoded as UTF-8 on its own.
 */
class WrapperClient {
  private buffer = ''
  private readonly pending = new Map<number, (msg: { result?: unknown }) => void>()
  readonly lines: string[] = []
  private nextId = 1

  constructor (readonly sock: net.Socket) {
    sock.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf-8')
      let nl: number
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim()
        this.buffer = this.buffer.slice(nl + 1)
        if (line === '') continue
        this.lines.push(line)
        const msg = JSON.parse(line) as { id: number, result?: unknown }
        this.pending.get(msg.id)?.(msg)
        this.pending.delete(msg.id)
      }
    })
  }

  static async open (t: Test, path: string): Promise<WrapperClient> {
    const sock = net.createConnection(path)
    await waitFor(sock, 'connect')
    t.teardown(() => sock.destroy())
    return new WrapperClient(sock)
  }

  call (method: string, params: unknown): Promise<{ result?: unknown }> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.sock.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n')
    })
  }
}

const isAscii = (s: string): boolean => /^[\x00-\x7e]*$/.test(s)
const broken = (s: string): number => s.split('\ufffd').length - 1

t.test('seed mode: 600 KB replies of CJK, emoji and mixed text reach a chunk-by-chunk UTF-8 decoder intact', async (t) => {
  const path = tempSocket(t)
  await serveOn(t, buildDaemon({ demo: true, logLevel: 'silent' }), path)
  const client = await WrapperClient.open(t, path)
  for (const [name, text] of Object.entries(bigTexts)) {
    const reply = await client.call('echo', [text])
    t.same(reply.result, [text], `${name}: the reply is the text sent, not one character broken`)
    const line = client.lines[client.lines.length - 1] as string
    t.ok(isAscii(line), `${name}: the reply line is pure ASCII (${line.length} bytes)`)
  }
})

t.test('without asciiOnly the same client breaks characters at chunk boundaries: the test above can fail', async (t) => {
  const path = tempSocket(t)
  await serveOn(t, buildDaemon({ demo: true, logLevel: 'silent', asciiOnly: false }), path)
  const client = await WrapperClient.open(t, path)
  let damage = 0
  for (const text of Object.values(bigTexts)) {
    const reply = await client.call('echo', [text])
    damage += broken(JSON.stringify(reply.result))
  }
  t.ok(damage > 0, `${damage} characters arrived as U+FFFD`)
})

async function served (t: Test, opts: LinefyOptions, register?: (app: ReturnType<typeof linefy>) => void): Promise<string> {
  const path = tempSocket(t)
  const app = linefy(opts)
  register?.(app)
  app.method('echo', (req) => req.params)
  app.method('notify', (req) => {
    req.connection.notify('said', req.params)
    return 'sent'
  })
  app.control('hello', () => ({ ok: true, greeting: 'こんにちは 👋' }))
  await serveOn(t, app, path)
  return path
}

t.test('asciiOnly covers results, errors, control replies and notifications, with the compact layout', async (t) => {
  const path = await served(t, { compat: 'seed' }, (app) => {
    app.method('fail', () => { throw new Error('échec 💥') })
  })
  const c = await connect(path, t)
  c.socket.write([
    '{"jsonrpc":"2.0","id":1,"method":"echo","params":{"k":"日本"}}',
    '{"jsonrpc":"2.0","id":2,"method":"fail"}',
    '{"type":"hello"}',
    '{"jsonrpc":"2.0","id":3,"method":"notify","params":["é"]}',
    '{"jsonrpc":"2.0","id":4,"method":"nope\u00e9"}'
  ].join('\n') + '\n')
  for (let i = 0; i < 6; i++) await c.lines.next()
  t.same(c.lines.all, [
    '{"jsonrpc":"2.0","id":1,"result":{"k":"\\u65e5\\u672c"}}',
    '{"jsonrpc":"2.0","id":2,"error":{"code":-32001,"message":"\\u00e9chec \\ud83d\\udca5"}}',
    '{"ok":true,"greeting":"\\u3053\\u3093\\u306b\\u3061\\u306f \\ud83d\\udc4b"}',
    '{"jsonrpc":"2.0","method":"said","params":["\\u00e9"]}',
    '{"jsonrpc":"2.0","id":3,"result":"sent"}',
    '{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"unknown method \'nope\\u00e9\'"}}'
  ])
})

t.test('spec mode writes UTF-8 as it is unless asciiOnly is asked for', async (t) => {
  const plain = await connect(await served(t, {}), t)
  t.same(await plain.call('echo', ['日本'], 1), { jsonrpc: '2.0', id: 1, result: ['日本'] })
  t.equal(plain.lines.all[0], '{"jsonrpc":"2.0","id":1,"result":["日本"]}')
  const ascii = await connect(await served(t, { asciiOnly: true }), t)
  await ascii.call('echo', ['日本'], 1)
  t.equal(ascii.lines.all[0], '{"jsonrpc":"2.0","id":1,"result":["\\u65e5\\u672c"]}')
})

t.test('with Content-Length framing the header counts the escaped bytes', async (t) => {
  const path = await served(t, { asciiOnly: true }, (app) => app.register(contentLength))
  const sock = net.connect(path)
  await waitFor(sock, 'connect')
  t.teardown(() => sock.destroy())
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['é😀'] })
  const got = deferred<string>()
  let raw = ''
  sock.on('data', (c: Buffer) => {
    raw += c.toString('latin1')
    if (raw.endsWith('}')) got.resolve(raw)
  })
  sock.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  const expected = '{"jsonrpc":"2.0","id":1,"result":["\\u00e9\\ud83d\\ude00"]}'
  t.equal(await got.promise, `Content-Length: ${expected.length}\r\n\r\n${expected}`)
})

t.test('asciiOnly must be a boolean', async (t) => {
  t.throws(() => linefy({ asciiOnly: 'yes' as unknown as boolean }), { code: 'LINEFY_ERR_INVALID_OPTION', message: 'option asciiOnly must be true or false, got yes' })
})
