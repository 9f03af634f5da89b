import jayson from 'jayson'
import { serveLines } from './lines.mjs'

const rpc = new jayson.Server({
  echo (params, cb) { cb(null, params) }
})

serveLines(process.argv[2], (line, send) => {
  rpc.call(line, (err, res) => {
    const reply = err ?? res
    if (reply !== undefined) send(JSON.stringify(reply))
  })
})
