// The ceiling: what a competent engineer writes by hand with no library.
import { serveLines } from './lines.mjs'

const HANDLERS = { echo: (params) => params }

serveLines(process.argv[2], (line, send) => {
  let msg
  try {
    msg = JSON.parse(line)
  } catch {
    return send('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}')
  }
  const fn = HANDLERS[msg.method]
  if (fn === undefined) {
    return send(JSON.stringify({ jsonrpc: '2.0', id: msg.id ?? null, error: { code: -32601, message: 'method not found' } }))
  }
  send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: fn(msg.params) }))
})
