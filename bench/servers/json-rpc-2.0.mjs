import { JSONRPCServer } from 'json-rpc-2.0'
import { serveLines } from './lines.mjs'

const rpc = new JSONRPCServer()
rpc.addMethod('echo', (params) => params)

serveLines(process.argv[2], (line, send) => {
  rpc.receiveJSON(line).then((res) => {
    if (res !== null) send(JSON.stringify(res))
  })
})
