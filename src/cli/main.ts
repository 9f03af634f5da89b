import { parseArgs, type ParseArgsConfig } from 'node:util'
import { bridge } from '../client/bridge.js'
import { connect, RpcError, type Client } from '../client/client.js'
import { codes, LinefyError } from '../core/errors.js'
import { socketPath } from '../daemon/socket-path.js'
import { describeMethod, listMethods, withSuggestions, writeTypes } from './discovery.js'
import type { Io } from './io.js'

export type { Io } from './io.js'

export const usage = `Usage: linefy <command> [options]

Commands:
  daemon [--socket PATH] [--demo] [--mcp] [--concurrency N] [--max-line-bytes N]
         [--state-file PATH] [--stdio] [--http ADDRESS] [--log-level LEVEL]
      Run the reference daemon. SIGTERM or SIGINT stops it gracefully.
      --mcp serves MCP too (with --demo, the demo methods are its tools).
      --http serves JSON-RPC over HTTP too: on a socket file when ADDRESS
      contains a '/', else on TCP [HOST:]PORT (HOST defaults to 127.0.0.1).
  call [--socket PATH] [--timeout MS] METHOD [PARAMS_JSON]
      Call a method; print its result as JSON (exit 0) or the error (exit 1).
  methods [--socket PATH]
      List the daemon's methods, one signature a line (from rpc.discover).
  describe [--socket PATH] METHOD
      Print a method's params and result schemas, description and errors.
  types [--socket PATH]
      Write the daemon's methods as a TypeScript Api type, for connect<Api>().
  control [--socket PATH] [--timeout MS] TYPE [FIELDS_JSON]
      Send a control line such as status, pause or resume; print the reply.
  bridge [--socket PATH] [--wait MS]
      Relay stdin and stdout to the daemon, for hosts that only speak stdio.
      Until the daemon accepts, keep trying for MS (default 5000; 0: try once).

The socket is --socket, else $IAI_DAEMON_SOCKET_PATH, else ~/.iai-mcp/.daemon.sock.
`

type Values = Record<string, string | boolean | undefined>

interface Verb {
  options: ParseArgsConfig['options']
  run: (values: Values, positionals: string[], env: NodeJS.ProcessEnv, io: Io) => Promise<number>
}

const socketOption = { socket: { type: 'string' } } as const
const timeoutOption = { timeout: { type: 'string' } } as const

/** A verb that takes no argument and prints what it makes of the daemon (its document, through `print`). */
function fromDocument (print: Parameters<typeof withClient>[3]): Verb {
  return {
    options: socketOption,
    run: (values, positionals, env, io) => {
      noPositionals(positionals)
      return withClient(values, env, io, print)
    }
  }
}

const verbs: Record<string, Verb> = {
  daemon: {
    options: {
      ...socketOption,
      demo: { type: 'boolean' },
      mcp: { type: 'boolean' },
      concurrency: { type: 'string' },
      'max-line-bytes': { type: 'string' },
      'state-file': { type: 'string' },
      stdio: { type: 'boolean' },
      http: { type: 'string' },
      'log-level': { type: 'string' }
    },
    run: async (values, positionals, env, io) => {
      noPositionals(positionals)
      // loaded only for this verb: `call` and `bridge` need none of the daemon's plugins
      const { runDaemon } = await import('./daemon.js')
      return runDaemon({
        socketPath: socketPath(values.socket as string | undefined, env),
        demo: values.demo === true,
        mcp: values.mcp === true,
        concurrency: count(values, 'concurrency'),
        maxLineBytes: count(values, 'max-line-bytes'),
        stateFile: filePath(values, 'state-file'),
        logLevel: logLevel(values['log-level']),
        stdio: values.stdio === true,
        http: httpAddress(values.http as string | undefined)
      }, io)
    }
  },
  call: {
    options: { ...socketOption, ...timeoutOption },
    run: (values, positionals, env, io) => {
      const [method, params] = args(positionals, 'METHOD', 'PARAMS_JSON')
      const timeout = count(values, 'timeout')
      return withClient(values, env, io, async (client) => {
        try {
          return JSON.stringify(await client.call(method, params, { timeout })) + '\n'
        } catch (err) {
          throw await withSuggestions(client, method, err)
        }
      })
    }
  },
  methods: fromDocument(listMethods),
  describe: {
    options: socketOption,
    run: (values, positionals, env, io) => {
      if (positionals.length !== 1) throw new codes.LINEFY_ERR_CLI_USAGE(positionals.length === 0 ? 'missing METHOD' : `unexpected argument '${positionals[1] as string}'`)
      return withClient(values, env, io, (client, path) => describeMethod(client, path, positionals[0] as string))
    }
  },
  types: fromDocument(writeTypes),
  control: {
    options: { ...socketOption, ...timeoutOption },
    run: (values, positionals, env, io) => {
      const [type, fields] = args(positionals, 'TYPE', 'FIELDS_JSON')
      if (fields !== undefined && (fields === null || typeof fields !== 'object' || Array.isArray(fields))) {
        throw new codes.LINEFY_ERR_CLI_USAGE('FIELDS_JSON must be a JSON object')
      }
      const timeout = count(values, 'timeout')
      return withClient(values, env, io, async (client) => JSON.stringify(await client.control(type, fields as Record<string, unknown>, { timeout })) + '\n')
    }
  },
  bridge: {
    options: { ...socketOption, wait: { type: 'string' } },
    run: async (values, positionals, env, io) => {
      noPositionals(positionals)
      const path = socketPath(values.socket as string | undefined, env)
      const onWait = (ms: number): void => { io.stderr.write(`linefy: no daemon on ${path} yet: waiting up to ${ms} ms for one\n`) }
      const result = await bridge(path, io.stdin, io.stdout, { wait: millis(values, 'wait'), onWait })
      if (result.clean) return 0
      io.stderr.write(`linefy: the daemon closed the connection; ${result.lost} request(s) in flight were answered -32002\n`)
      return 1
    }
  }
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function logLevel (v: unknown): string | undefined {
  if (v === undefined || levels.includes(v as string)) return v as string | undefined
  throw new codes.LINEFY_ERR_CLI_USAGE(`--log-level must be one of ${levels.join(', ')}, got '${String(v)}'`)
}

/** A path when it contains a '/', else [host:]port; an IPv6 host goes in brackets. */
function httpAddress (v: string | undefined): { path: string } | { host?: string, port: number } | undefined {
  if (v === undefined) return undefined
  if (v.includes('/')) return { path: v }
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?([0-9]{1,5})$/.exec(v)
  const port = Number(m?.[3])
  if (m === null || port > 65535) throw new codes.LINEFY_ERR_CLI_USAGE(`--http must be a socket path (containing a '/') or [HOST:]PORT, got '${v}'`)
  const host = m[1] ?? m[2]
  return host === undefined ? { port } : { host, port }
}

function count (values: Values, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  if (!/^[1-9][0-9]*$/.test(v as string)) throw new codes.LINEFY_ERR_CLI_USAGE(`--${name} must be a positive whole number, got '${String(v)}'`)
  return Number(v)
}

function millis (values: Values, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  if (!/^[0-9]+$/.test(v as string)) throw new codes.LINEFY_ERR_CLI_USAGE(`--${name} must be a whole number of milliseconds, got '${String(v)}'`)
  return Number(v)
}

function filePath (values: Values, name: string): string | undefined {
  const v = values[name] as string | undefined
  if (v === '') throw new codes.LINEFY_ERR_CLI_USAGE(`--${name} must be a path`)
  return v
}

function noPositionals (positionals: string[]): void {
  if (positionals.length > 0) throw new codes.LINEFY_ERR_CLI_USAGE(`unexpected argument '${positionals[0] as string}'`)
}

function args (positionals: string[], first: string, second: string): [string, unknown] {
  if (positionals.length === 0) throw new codes.LINEFY_ERR_CLI_USAGE(`missing ${first}`)
  if (positionals.length > 2) throw new codes.LINEFY_ERR_CLI_USAGE(`unexpected argument '${positionals[2] as string}'`)
  const [name, json] = positionals as [string, string | undefined]
  if (json === undefined) return [name, undefined]
  try {
    return [name, JSON.parse(json)]
  } catch (err) {
    throw new codes.LINEFY_ERR_CLI_USAGE(`${second} is not valid JSON (${(err as Error).message})`)
  }
}

/** Runs `run` on a connection to the daemon and prints what it returns; a failure is one line on stderr, exit 1. */
async function withClient (values: Values, env: NodeJS.ProcessEnv, io: Io, run: (client: Client, path: string) => Promise<string>): Promise<number> {
  const path = socketPath(values.socket as string | undefined, env)
  const client = await connect(path)
  let code = 0
  try {
    io.stdout.write(await run(client, path))
  } catch (err) {
    if (err instanceof RpcError) {
      const data = err.data === undefined ? '' : ' ' + JSON.stringify(err.data)
      io.stderr.write(`linefy: error ${err.code}: ${err.message}${data}\n`)
    } else {
      io.stderr.write(`linefy: ${(err as Error).message}\n`)
    }
    code = 1
  }
  await client.close()
  return code
}

/** The CLI without the process: argv in, exit code out; errors become one line on stderr. */
export async function main (argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? io.stderr : io.stdout).write(usage)
    return name === undefined ? 2 : 0
  }
  try {
    const verb = Object.hasOwn(verbs, name) ? verbs[name] : undefined
    if (verb === undefined) throw new codes.LINEFY_ERR_CLI_USAGE(`unknown command '${name}'`)
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(usage)
      return 0
    }
    let parsed
    try {
      parsed = parseArgs({ args: rest, options: verb.options, allowPositionals: true, strict: true })
    } catch (err) {
      // parseArgs explains over several lines; the CLI answers in one
      throw new codes.LINEFY_ERR_CLI_USAGE((err as Error).message.replace(/\s*\n\s*/g, ' '))
    }
    return await verb.run(parsed.values as Values, parsed.positionals, env, io)
  } catch (err) {
    io.stderr.write(`linefy: ${(err as Error).message}\n`)
    return err instanceof LinefyError && err.code === 'LINEFY_ERR_CLI_USAGE' ? 2 : 1
  }
}
