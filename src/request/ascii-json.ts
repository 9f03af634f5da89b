const HEX = '0123456789abcdef'
const DEL = 0x7f

/**
 * JSON text as Python's json.dumps writes it by default (ensure_ascii=True):
 * every character outside printable ASCII that JSON.stringify leaves raw
 * (DEL and everything from U+0080 on) becomes `\uXXXX` in lower-case hex, an
 * astral character a surrogate pair. `json` must be what JSON.stringify
 * produced: outside strings JSON is ASCII already, and JSON.stringify has
 * escaped the control characters and lone surrogates the same way Python does.
 *
 * Clients written against the Python daemon decode each socket chunk on its
 * own; with pure ASCII on the wire, a chunk boundary can never split a
 * character.
 */
export function asciiJson (json: string): string {
  // a string is ASCII exactly when its UTF-8 length equals its length; the
  // native length count is several times faster than a regex or a char loop
  if (Buffer.byteLength(json) === json.length && json.indexOf('\x7f') === -1) return json
  return escape(json)
}

function escape (s: string): string {
  let out = ''
  let last = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < DEL) continue
    if (last !== i) out += s.slice(last, i)
    out += '\\u' + HEX[c >> 12] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15]
    last = i + 1
  }
  return out + s.slice(last)
}
