import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { NdjsonDecoder, ndjsonFraming } from '../../plugins/ndjson.js'

function decoder (max = 16) {
  const events: Array<[string, string | number]> = []
  const frames: Array<Buffer | string> = []
  const d = new NdjsonDecoder(max, {
    frame: (buf) => { frames.push(buf); events.push(['frame', buf.toString()]) },
    oversize: (bytes) => { events.push(['oversize', bytes]) },
    malformed: (reason) => { events.push(['malformed', reason]) }
  })
  return { d, events, frames }
}

const b = (s: string) => Buffer.from(s)

t.test('emits one frame per line, several per chunk', async (t) => {
  const { d, events } = decoder()
  d.push(b('a\nbb\nccc\n'))
  t.same(events, [['frame', 'a'], ['frame', 'bb'], ['frame', 'ccc']])
})

t.test('a line inside one chunk is handed over without a copy', async (t) => {
  const { d, frames } = decoder()
  const chunk = b('abc \u00e9\n')
  d.push(chunk)
  const frame = frames[0] as Buffer
  t.equal(frame.buffer, chunk.buffer)
  t.equal(frame.byteOffset, chunk.byteOffset)
})

t.test('the lines of an all-ASCII chunk come as text, decoded once for the chunk', async (t) => {
  const { d, frames } = decoder()
  d.push(b('abc\r\n\t \r\nde\n'))
  t.same(frames, ['abc', 'de'], 'text frames, the CR and the blank line dropped')
  d.push(b('x\u00e9\nyz\n'))
  t.ok(Buffer.isBuffer(frames[2]), 'a chunk with any other byte still comes as bytes')
  t.ok(Buffer.isBuffer(frames[3]))
})

t.test('joins a line split over several chunks', async (t) => {
  const { d, events } = decoder()
  d.push(b('ab'))
  d.push(b('cd'))
  t.same(events, [], 'nothing before the newline')
  d.push(b('e\nf'))
  d.push(b('\n'))
  t.same(events, [['frame', 'abcde'], ['frame', 'f']])
})

t.test('strips \\r before \\n, also when it ends a chunk', async (t) => {
  const { d, events } = decoder()
  d.push(b('a\r\nb\r'))
  d.push(b('\n'))
  t.same(events, [['frame', 'a'], ['frame', 'b']])
})

t.test('skips empty and whitespace-only lines', async (t) => {
  const { d, events } = decoder()
  d.push(b('\n\r\n \t \r\nx\n'))
  d.push(b('\r'))
  d.push(b('\n'))
  t.same(events, [['frame', 'x']])
  d.push(b(' \r'))
  d.push(b(' \r\n \t\n\u00e9\n'))
  t.same(events, [['frame', 'x'], ['frame', '\u00e9']], 'blank lines joined from chunks, and in a chunk that is not ASCII, are skipped too')
})

t.test('a line of exactly the limit passes; one byte more is reported once', async (t) => {
  const { d, events } = decoder(4)
  d.push(b('abcd\nabcde\nok\n'))
  t.same(events, [['frame', 'abcd'], ['oversize', 5], ['frame', 'ok']])
})

t.test('the limit holds for a partial line: reported as soon as it is passed, then skipped to the newline', async (t) => {
  const { d, events } = decoder(4)
  d.push(b('abc'))
  d.push(b('def'))
  t.same(events, [['oversize', 6]], 'reported before any newline arrived')
  d.push(b('ghijkl'))
  d.push(b('mn\nok\n'))
  t.same(events, [['oversize', 6], ['frame', 'ok']], 'reported once, resynchronised at the newline')
})

t.test('a partial line pushed over the limit by a chunk that also ends it is reported at the newline', async (t) => {
  const { d, events } = decoder(4)
  d.push(b('abc'))
  d.push(b('de\nok\n'))
  t.same(events, [['oversize', 5], ['frame', 'ok']])
})

t.test('end() emits a last line without its newline', async (t) => {
  const { d, events } = decoder()
  d.push(b('a\nlast\r'))
  d.end()
  t.same(events, [['frame', 'a'], ['frame', 'last']])
})

t.test('end() emits nothing when no partial line is held, and resets a skip', async (t) => {
  const { d, events } = decoder(2)
  d.push(b('a\n'))
  d.end()
  d.push(b('toolong'))
  d.end()
  d.push(b('o'))
  d.push(b('k\n'))
  t.same(events, [['frame', 'a'], ['oversize', 7], ['frame', 'ok']], 'a line split across chunks after end() is whole')
})

t.test('a line of blanks is skipped whatever mix of spaces, tabs and \\r it holds', async (t) => {
  const { d, events } = decoder()
  d.push(b(' \r \n\r\r\n\t\r\t\r\nx\n'))
  t.same(events, [['frame', 'x']])
})

t.test('after an over-long partial line, the next line split across chunks is framed whole', async (t) => {
  const { d, events } = decoder(4)
  d.push(b('abcdef'))
  d.push(b('g\nab'))
  d.push(b('c\n'))
  t.same(events, [['oversize', 6], ['frame', 'abc']])
})

t.test('a chunk whose lines were all framed is not held: memory stays one partial line', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const d = new NdjsonDecoder(1024, { frame: () => {}, oversize: () => {}, malformed: () => {} })
  const held: Array<WeakRef<ArrayBuffer>> = []
  const feed = (): void => {
    for (let i = 0; i < 8; i++) {
      // its own memory, not a slice of the shared pool, so it can be seen to go
      const chunk = Buffer.alloc(256, 'x')
      chunk[255] = 10
      held.push(new WeakRef(chunk.buffer))
      d.push(chunk)
    }
  }
  feed()
  // a WeakRef keeps its target for the rest of the job that made it
  await new Promise(setImmediate)
  gc()
  t.same(held.map((r) => r.deref() === undefined), Array(8).fill(true))
})

t.test('encode appends a newline', async (t) => {
  t.equal(ndjsonFraming.encode('{"a":1}'), '{"a":1}\n')
  t.equal(ndjsonFraming.name, 'ndjson')
})
