// The transport every non-linefy server shares, so that only the dispatch
// code differs between them: a unix-socket `net` server, a partial-line
// buffer, and replies gathered per socket and written once per tick.
import net from 'node:net'
import { unlinkSync } from 'node:fs'

export function serveLines (path, onLine) {
  const server = net.createServer((socket) => {
    let tail = ''
    let out = ''
    const flush = () => {
      const s = out
      out = ''
      if (!socket.destroyed) socket.write(s)
    }
    const send = (line) => {
      if (out === '') process.nextTick(flush)
      out += line + '\n'
    }
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      const data = tail === '' ? chunk : tail + chunk
      let start = 0
      let nl
      while ((nl = data.indexOf('\n', start)) !== -1) {
        if (nl > start) onLine(data.slice(start, nl), send)
        start = nl + 1
      }
      tail = start === data.length ? '' : data.slice(start)
    })
    socket.on('error', () => {})
  })
  listen(server, path)
}

export function listen (server, path) {
  try { unlinkSync(path) } catch {}
  server.listen(path)
  // --cpu-prof writes its profile only on a normal exit
  process.on('SIGTERM', () => process.exit(0))
}
