import { RpcCode } from '../core/errors.js'

/** The revisions this server speaks, oldest first; initialize answers the client's when listed, else the latest. */
export const PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const
export const LATEST_PROTOCOL_VERSION = PROTOCOL_VERSIONS[PROTOCOL_VERSIONS.length - 1]

export function negotiate (requested: unknown): string {
  return (PROTOCOL_VERSIONS as readonly unknown[]).includes(requested) ? requested as string : LATEST_PROTOCOL_VERSION
}

/** Everything the plugin serves; the tables may be empty, the methods are there. */
export const CAPABILITIES = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
  logging: {},
  completions: {}
}

/** MCP's log severities (RFC 5424), least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const
export type LogLevel = typeof LOG_LEVELS[number]

/** pino's levels as MCP severities: pino has no notice, alert or emergency. */
export const PINO_LEVELS: ReadonlyArray<readonly [pino: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', mcp: LogLevel]> = [
  ['trace', 'debug'], ['debug', 'debug'], ['info', 'info'], ['warn', 'warning'], ['error', 'error'], ['fatal', 'critical']
]

/**
 * Failures of a tool's method that are the server's, not the tool's: the host
 * gets them as JSON-RPC errors (it may retry), while everything else a tool
 * call can end with (its handler, hooks, schema, timeout) is a tool result
 * with isError, which the model reads and can act on.
 */
export const PROTOCOL_FAILURES: ReadonlySet<number> = new Set([RpcCode.OVERLOADED, RpcCode.SHUTTING_DOWN, RpcCode.CANCELLED])

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
}

/** An object without its undefined members: what a result or notification carries. */
export function defined<T extends Record<string, unknown>> (o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}
