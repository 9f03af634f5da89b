// The stronger ceiling: the same hand-written dispatch, but the replies to one
// 'data' chunk are concatenated and written synchronously, once per chunk,
// with no tick in between. Nothing a library adds (ordering across async
// handlers, backpressure, limits) is here, so no framework can do less work.
import net from 'node:net'
import { pathToFileURL } from 'node:url'
import { listen } from './lines.mjs'

const PARSE_ERROR = '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}\n'
const HANDLERS = { echo: (params) => params }

function reply (line) {
  let msg
  try {
    msg = JSON.parse(line)
  } catch {
    return PARSE_ERROR
  }
  const fn = HANDLERS[msg.method]
  if (fn === undefined) {
    return JSON.stringify({ jsonrpc: '2.0', id: msg.id ?? null, error: { code: -32601, message: 'method not found' } }) + '\n'
  }
  return JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: fn(msg.params) }) + '\n'
}

/** Serves one connection; bench/inprocess.js drives it without a socket. */
export function serveChunks (socket) {
  let tail = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk) => {
    const data = tail === '' ? chunk : tail + chunk
    let out = ''
    let start = 0
    let nl
    while ((nl = data.indexOf('\n', start)) !== -1) {
      if (nl > start) out += reply(data.slice(start, nl))
      start = nl + 1
    }
    tail = start === data.length ? '' : data.slice(start)
    if (out !== '') socket.write(out)
  })
  socket.on('error', () => {})
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) listen(net.createServer(serveChunks), process.argv[2])
