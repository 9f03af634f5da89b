import t from 'tap'
import linefy from '../../index.js'
import { httpHandlerOf } from '../../src/http/handler.js'

// port 80 needs privileges a test run may not have: the names a Host header may carry are checked here directly
t.test('on port 80 a Host header may leave the port out, as clients do for the default port', async (t) => {
  const handler = httpHandlerOf(linefy())
  handler.checkHosts(80)
  t.same([...(handler.allowed as Set<string>)].sort(), ['127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:80', 'localhost', 'localhost:80'])
  handler.checkHosts(8080)
  t.same([...(handler.allowed as Set<string>)].sort(), ['127.0.0.1:8080', '[::1]:8080', 'localhost:8080'])
})
