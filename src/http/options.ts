import { isIPv6 } from 'node:net'
import { codes, type LinefyError } from '../core/errors.js'
import { wholeNumber } from '../core/options.js'
import type { HttpOptions } from './types.js'

export interface Resolved {
  endpoint: string
  healthEndpoint: string
  allowedHosts: string[]
  headersTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
  maxHeaderSize: number
  maxHeadersCount: number
  maxConnections: number
}

function count (opts: HttpOptions, name: keyof HttpOptions, fallback: number): number {
  return wholeNumber(opts as Partial<Record<keyof HttpOptions, unknown>>, name, fallback, 1)
}

function urlPath (opts: HttpOptions, name: 'endpoint' | 'healthEndpoint', fallback: string): string {
  const v = opts[name] ?? fallback
  if (typeof v !== 'string' || !v.startsWith('/') || v.includes('?')) throw new codes.LINEFY_ERR_INVALID_OPTION(name, `must be a URL path such as '${fallback}', got ${String(v)}`)
  return v
}

/** As a Host header writes it: lower case, an IPv6 literal in brackets. */
function hostName (name: unknown): string {
  const lower = typeof name === 'string' ? name.toLowerCase() : ''
  if (isIPv6(lower)) return `[${lower}]`
  if (lower === '' || (lower.includes(':') && !isIPv6(lower.slice(1, -1)))) {
    throw new codes.LINEFY_ERR_INVALID_OPTION('allowedHosts', `must list host names without a port, such as 'myhost.local', got ${String(name)}`)
  }
  return lower
}

export function resolveOptions (opts: HttpOptions): Resolved {
  const headersTimeout = count(opts, 'headersTimeout', 10_000)
  const requestTimeout = count(opts, 'requestTimeout', Math.max(30_000, headersTimeout))
  if (headersTimeout > requestTimeout) throw new codes.LINEFY_ERR_INVALID_OPTION('headersTimeout', `must not exceed requestTimeout (${requestTimeout}), got ${headersTimeout}`)
  const allowed = opts.allowedHosts ?? []
  if (!Array.isArray(allowed)) throw new codes.LINEFY_ERR_INVALID_OPTION('allowedHosts', `must be an array of host names, got ${String(allowed)}`)
  return {
    endpoint: urlPath(opts, 'endpoint', '/'),
    healthEndpoint: urlPath(opts, 'healthEndpoint', '/health'),
    allowedHosts: ['localhost', '127.0.0.1', '[::1]', ...allowed.map(hostName)],
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: count(opts, 'keepAliveTimeout', 5_000),
    maxHeaderSize: count(opts, 'maxHeaderSize', 16 * 1024),
    maxHeadersCount: count(opts, 'maxHeadersCount', 100),
    maxConnections: count(opts, 'maxConnections', 1024)
  }
}

export const STATUS: Record<string, number> = {
  LINEFY_ERR_HTTP_BAD_REQUEST: 400,
  LINEFY_ERR_HTTP_FORBIDDEN: 403,
  LINEFY_ERR_HTTP_NOT_FOUND: 404,
  LINEFY_ERR_HTTP_METHOD: 405,
  LINEFY_ERR_HTTP_TIMEOUT: 408,
  LINEFY_ERR_HTTP_BODY_TOO_LARGE: 413,
  LINEFY_ERR_HTTP_MEDIA_TYPE: 415,
  LINEFY_ERR_HTTP_HEADERS_TOO_LARGE: 431,
  LINEFY_ERR_HTTP_TOO_MANY_CONNECTIONS: 503,
  LINEFY_ERR_HTTP_PIPELINE_FULL: 503
}

export const REASON: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

// parameters (charset) may follow; nothing else may
export const JSON_TYPE = /^application\/json[\t ]*(?:;|$)/i

/** The body of an HTTP-level refusal: its LINEFY_ERR_HTTP_* code and what to do. */
export function errorBody (err: LinefyError): string {
  return JSON.stringify({ error: { code: err.code, message: err.message } })
}
