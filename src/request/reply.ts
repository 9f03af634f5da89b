import { RpcCode, type LinefyError, type WireError } from '../core/errors.js'

/** Every reply starts the same: built by concatenation, never by JSON.stringify of an envelope. */
export const HEAD = '{"jsonrpc":"2.0","id":'

/**
 * A result serialised once, when it is made: a method that returns the same
 * large value to many requests (a discovery document) caches one of these,
 * and each reply carries its JSON as it is. It is not checked against a
 * result schema.
 */
export class RawJson {
  readonly json: string

  constructor (value: unknown) {
    // undefined has no JSON: answered as null, like any other undefined result
    this.json = JSON.stringify(value) ?? 'null'
  }
}

export function errorLine (idJson: string, err: WireError): string {
  let body: string
  try {
    body = JSON.stringify(err)
  } catch {
    body = JSON.stringify({ code: err.code, message: err.message })
  }
  return HEAD + idJson + ',"error":' + body + '}'
}

/** The reply to a whole message refused with one of linefy's errors: no id to echo. */
export function codedLine (err: LinefyError): string {
  return errorLine('null', { code: err.rpcCode, message: err.message })
}

export function invalidLine (message: string, idJson: string): string {
  return errorLine(idJson, { code: RpcCode.INVALID_REQUEST, message })
}

/** The JSON of an id to echo: a string or a finite number, else null. */
export function jsonOfId (id: unknown): string {
  // a finite number's string form is already its JSON; 1e400 parses to Infinity, which is not JSON
  if (typeof id === 'number') return Number.isFinite(id) ? '' + id : 'null'
  return typeof id === 'string' ? JSON.stringify(id) : 'null'
}

/** The id to echo in an error reply about a whole message: only a valid one, else null. */
export function idJsonOf (msg: unknown): string {
  if (msg === null || typeof msg !== 'object') return 'null'
  return jsonOfId((msg as { id?: unknown }).id)
}
