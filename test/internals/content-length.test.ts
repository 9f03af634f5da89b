import t from 'tap'
import { ContentLengthDecoder, contentLengthFraming } from '../../plugins/content-length.js'

function decoder (max = 32) {
  const events: Array<[string, string | number]> = []
  const d = new ContentLengthDecoder(max, {
    frame: (buf) => { events.push(['frame', buf.toString()]) },
    oversize: (bytes) => { events.push(['oversize', bytes]) },
    malformed: (reason) => { events.push(['malformed', reason]) }
  })
  return { d, events }
}

const msg = (body: string, header = 'Content-Length') => `${header}: ${Buffer.byteLength(body)}\r\n\r\n${body}`
const b = (s: string) => Buffer.from(s)

t.test('emits each message, several per chunk', async (t) => {
  const { d, events } = decoder()
  d.push(b(msg('{"a":1}') + msg('[]')))
  t.same(events, [['frame', '{"a":1}'], ['frame', '[]']])
})

t.test('joins a message whose header and body are split over chunks', async (t) => {
  const { d, events } = decoder()
  const whole = b(msg('{"split":true}'))
  for (let i = 0; i < whole.length; i++) d.push(whole.subarray(i, i + 1))
  t.same(events, [['frame', '{"split":true}']])
})

t.test('the header name is case-insensitive and other headers are ignored', async (t) => {
  const { d, events } = decoder()
  d.push(b('Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 2\r\n\r\n{}'))
  t.same(events, [['frame', '{}']])
})

t.test('counts the length in bytes, not characters', async (t) => {
  const { d, events } = decoder()
  d.push(b(msg('"ü€"')))
  t.same(events, [['frame', '"ü€"']])
  t.equal(contentLengthFraming.encode('"ü"'), 'Content-Length: 4\r\n\r\n"ü"')
})

t.test('a body over the limit is reported once and skipped, across chunks, then framing resumes', async (t) => {
  const { d, events } = decoder(4)
  d.push(b('Content-Length: 10\r\n\r\n123'))
  t.same(events, [['oversize', 10]])
  d.push(b('4567'))
  d.push(b('890' + msg('ok')))
  t.same(events, [['oversize', 10], ['frame', 'ok']])
})

t.test('a body over the limit that is already in the buffer is skipped at once', async (t) => {
  const { d, events } = decoder(4)
  d.push(b(msg('0123456789') + msg('ok')))
  t.same(events, [['oversize', 10], ['frame', 'ok']])
})

t.test('a header block without Content-Length is malformed and ends framing', async (t) => {
  const { d, events } = decoder()
  d.push(b('Content-Type: x\r\n\r\n{}' + msg('{}')))
  d.push(b(msg('{}')))
  d.end()
  t.same(events, [['malformed', 'missing Content-Length header']], 'nothing after it is read, and end() adds nothing')
})

t.test('a length that is not a byte count, or two lengths, is malformed with what to send instead', async (t) => {
  const reasons = ['-1', '1e3', '', '9007199254740992', '9'.repeat(40)].map((v) => {
    const { d, events } = decoder()
    d.push(b(`Content-Length: ${v}\r\n\r\n{}`))
    return events
  })
  t.same(reasons, [
    [['malformed', "Content-Length '-1' is not a byte count: send the body's length in bytes"]],
    [['malformed', "Content-Length '1e3' is not a byte count: send the body's length in bytes"]],
    [['malformed', "Content-Length '' is not a byte count: send the body's length in bytes"]],
    [['malformed', "Content-Length '9007199254740992' is not a byte count: send the body's length in bytes"]],
    [['malformed', `Content-Length '${'9'.repeat(32)}...' is not a byte count: send the body's length in bytes`]]
  ])
  const twice = decoder()
  twice.d.push(b('Content-Length: 2\r\ncontent-length: 2\r\n\r\n{}'))
  t.same(twice.events, [['malformed', 'more than one Content-Length header: send exactly one']])
})

t.test('an empty body is a frame of its own', async (t) => {
  const { d, events } = decoder()
  d.push(b('Content-Length: 0\r\n\r\n' + msg('[]')))
  t.same(events, [['frame', ''], ['frame', '[]']])
})

t.test('a header block over 8192 bytes is malformed even when it ends in the same chunk', async (t) => {
  const { d, events } = decoder()
  d.push(b('X-Padding: ' + 'a'.repeat(8190) + '\r\nContent-Length: 2\r\n\r\n{}'))
  t.same(events, [['malformed', 'header block over 8192 bytes']])
})

t.test('a header block that never ends is malformed once over 8192 bytes', async (t) => {
  const { d, events } = decoder()
  d.push(b('X-Padding: ' + 'a'.repeat(8000)))
  t.same(events, [], 'still waiting under the limit')
  d.push(b('a'.repeat(500)))
  t.same(events, [['malformed', 'header block over 8192 bytes']])
})

t.test('end() inside a message is malformed; between messages it is clean', async (t) => {
  const inBody = decoder()
  inBody.d.push(b('Content-Length: 5\r\n\r\n12'))
  inBody.d.end()
  t.same(inBody.events, [['malformed', 'stream ended inside a message']])

  const inHeader = decoder()
  inHeader.d.push(b('Content-Len'))
  inHeader.d.end()
  t.same(inHeader.events, [['malformed', 'stream ended inside a message']])

  const clean = decoder()
  clean.d.push(b(msg('{}')))
  clean.d.end()
  t.same(clean.events, [['frame', '{}']])
})

t.test('names itself', async (t) => {
  t.equal(contentLengthFraming.name, 'content-length')
})

t.test('a Content-Length line without its colon is no length: malformed, naming the missing header', async (t) => {
  const { d, events } = decoder()
  d.push(b('Content-Length 2\r\n\r\n{}'))
  t.same(events, [['malformed', 'missing Content-Length header']])
})

t.test('blanks around the header name and value are allowed', async (t) => {
  const { d, events } = decoder()
  d.push(b(' Content-Length :  2 \r\n\r\n{}'))
  t.same(events, [['frame', '{}']])
})

t.test('a bad length is quoted whole up to 32 characters, cut beyond', async (t) => {
  for (const [value, shown] of [['x'.repeat(32), 'x'.repeat(32)], ['y'.repeat(33), 'y'.repeat(32) + '...']]) {
    const { d, events } = decoder()
    d.push(b(`Content-Length: ${value}\r\n\r\n`))
    t.same(events, [['malformed', `Content-Length '${shown}' is not a byte count: send the body's length in bytes`]])
  }
})

t.test('a header block of exactly 8 KiB passes however its end is chunked; one byte more is malformed', async (t) => {
  const block = (bytes: number) => {
    const head = 'Content-Length: 2\r\nX-Pad: '
    return head + 'p'.repeat(bytes - head.length) + '\r\n\r\n{}'
  }
  const exact = block(8192)
  for (const cut of [exact.length, 8192 + 3, 8192 + 1, 8192 - 2]) {
    const { d, events } = decoder()
    d.push(b(exact.slice(0, cut)))
    d.push(b(exact.slice(cut)))
    t.same(events, [['frame', '{}']], `split at ${cut}`)
  }
  const { d, events } = decoder()
  d.push(b(block(8193)))
  t.same(events, [['malformed', 'header block over 8192 bytes']])
})

t.test('a header block that can no longer end within 8 KiB is malformed at once, not at its end', async (t) => {
  const { d, events } = decoder()
  d.push(b('Content-Length: 2\r\n' + 'p'.repeat(8192 + 3 - 19)))
  t.same(events, [], '8195 bytes: the block may still end at 8192')
  d.push(b('p'))
  t.same(events, [['malformed', 'header block over 8192 bytes']], '8196 bytes and no end: over')
})

t.test('bodies split across chunks, each chunk also holding the start of the next message', async (t) => {
  const { d, events } = decoder()
  d.push(b('Content-Length: 4\r\n\r\nab'))
  d.push(b('cd' + 'Content-Length: 4\r\n\r\nw'))
  d.push(b('xyz' + msg('ok')))
  t.same(events, [['frame', 'abcd'], ['frame', 'wxyz'], ['frame', 'ok']])
})
