import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { cliPath } from './process.js'
import type { Teardown } from './util.js'

export interface McpSession {
  client: Client
  /** What the SDK reported through onerror: a reply it did not expect, a line it could not read. */
  errors: Error[]
  /** The child's stderr so far. */
  stderr: () => string
}

/**
 * The MCP SDK's own Client, over stdio to a real child running the linefy
 * CLI with `args` (a stdio daemon, or a bridge in front of one); closed at
 * teardown. `capabilities` are the client's (sampling, elicitation, roots).
 */
export async function mcpClient (t: Teardown, args: string[], capabilities: Record<string, unknown> = {}): Promise<McpSession> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, ...args], stderr: 'pipe' })
  let stderr = ''
  transport.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const client = new Client({ name: 'linefy-test', version: '1.0.0' }, { capabilities })
  const errors: Error[] = []
  client.onerror = (err) => { errors.push(err) }
  t.teardown(() => client.close())
  await client.connect(transport)
  return { client, errors, stderr: () => stderr }
}

/** The notifications of one kind the client receives, each awaited in turn (bounded). */
export function notifications<T> (client: Client, schema: Parameters<Client['setNotificationHandler']>[0]): { all: T[], next: (ms?: number) => Promise<T> } {
  const all: T[] = []
  let taken = 0
  let wake: (() => void) | null = null
  client.setNotificationHandler(schema, (n: unknown) => {
    all.push(n as T)
    wake?.()
  })
  return {
    all,
    next: async (ms = 10_000) => {
      while (all.length <= taken) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no notification after ${ms} ms`)), ms)
          wake = () => { clearTimeout(timer); wake = null; resolve() }
        })
      }
      return all[taken++] as T
    }
  }
}
