import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { asciiJson } from '../src/request/ascii-json.js'
import { bigTexts } from './helpers/texts.js'

// written by Python's json.dumps (fixtures/ascii-json/generate.py); no Python needed here
const read = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/ascii-json/${name}`, import.meta.url), 'utf8'))
const cases = read('cases.json') as Array<{ name: string, value: unknown, dumps: string }>
const everyUnit = read('every-code-unit.json') as { bytes: number, sha256: string }

const isAscii = (s: string): boolean => /^[\x00-\x7e]*$/.test(s)

t.test('writes exactly what json.dumps writes, case by case', async (t) => {
  t.ok(cases.length >= 10)
  for (const c of cases) t.equal(asciiJson(JSON.stringify(c.value)), c.dumps, c.name)
})

t.test('every BMP code unit and a sweep of astral code points match json.dumps byte for byte', async (t) => {
  let s = ''
  for (let c = 0; c < 0x10000; c++) s += String.fromCharCode(c)
  for (let c = 0x10000; c < 0x110000; c += 97) s += String.fromCodePoint(c)
  const out = asciiJson(JSON.stringify(s))
  t.equal(out.length, everyUnit.bytes)
  t.equal(createHash('sha256').update(out, 'ascii').digest('hex'), everyUnit.sha256)
  t.ok(isAscii(out))
  t.equal(JSON.parse(out), s, 'and it parses back to the same string')
})

t.test('ASCII JSON is returned as it is, the same string', async (t) => {
  const json = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { text: 'plain', tab: '\t' } })
  t.equal(asciiJson(json), json)
  t.equal(asciiJson(''), '')
})

t.test('600 KB of CJK, emoji and mixed text come out pure ASCII and parse back intact', async (t) => {
  for (const [name, text] of Object.entries(bigTexts)) {
    t.ok(Buffer.byteLength(text) >= 600_000, `${name}: ${Buffer.byteLength(text)} bytes of UTF-8`)
    const out = asciiJson(JSON.stringify({ result: text }))
    t.ok(isAscii(out), `${name}: pure ASCII`)
    t.equal((JSON.parse(out) as { result: string }).result, text, `${name}: intact`)
  }
})
