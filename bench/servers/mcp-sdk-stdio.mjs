// The MCP SDK's McpServer serving the four demo tools of `linefy daemon --mcp --demo`
// (echo, sleep, fail, add) over stdio, as a server written with the SDK would:
// zod schemas, the same results (a text block and structuredContent).
import { setTimeout as delay } from 'node:timers/promises'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import * as z from 'zod/v4'

const server = new McpServer({ name: 'bench', version: '0.0.0' })
const result = (value) => ({
  content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }],
  structuredContent: value !== null && typeof value === 'object' && !Array.isArray(value) ? value : { result: value }
})

server.registerTool('echo', { description: 'Returns its arguments as they came.', inputSchema: z.looseObject({}) }, (args) => result(args))
server.registerTool('sleep', {
  description: 'Waits ms milliseconds (0 to 60000), reporting progress; stops early when cancelled.',
  inputSchema: { ms: z.number().int().min(0).max(60_000) }
}, async ({ ms }, extra) => {
  await delay(ms, undefined, { signal: extra.signal })
  return result({ slept: ms })
})
server.registerTool('fail', { description: 'Always fails, with the message given or "demo failure".', inputSchema: { message: z.string().optional() } }, ({ message }) => {
  throw new Error(message ?? 'demo failure')
})
server.registerTool('add', { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => result(a + b))

await server.connect(new StdioServerTransport())
