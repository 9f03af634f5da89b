import { codes } from './errors.js'

export type Compat = 'spec' | 'seed'

/** The numeric and mode options of linefy(), checked and defaulted once. */
export interface ResolvedOptions {
  compat: Compat
  /** Every reply written as pure ASCII JSON, as Python's json.dumps writes it. */
  asciiOnly: boolean
  /** Results checked against their schema.result (-32603 naming the failing path); off, a result schema costs nothing. */
  validateResults: boolean
  concurrency: number
  maxQueue: number
  perConnection: number
  maxLineBytes: number
  maxBatch: number
  maxBacklog: number
  closeGraceMs: number
}

/** An option that must be an integer of at least `min`, `fallback` when unset (linefy's own, and its plugins'). */
export function wholeNumber<K extends string> (opts: Partial<Record<K, unknown>>, name: K, fallback: number, min: 0 | 1): number {
  const v = opts[name]
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new codes.LINEFY_ERR_INVALID_OPTION(name, `must be an integer >= ${min}, got ${String(v)}`)
  }
  return v
}

function flag (opts: Partial<Record<keyof ResolvedOptions, unknown>>, name: 'asciiOnly' | 'validateResults', fallback: boolean): boolean {
  const v = opts[name] ?? fallback
  if (typeof v !== 'boolean') throw new codes.LINEFY_ERR_INVALID_OPTION(name, `must be true or false, got ${String(v)}`)
  return v
}

export function resolveOptions (opts: Partial<Record<keyof ResolvedOptions, unknown>>): ResolvedOptions {
  const compat = opts.compat ?? 'spec'
  if (compat !== 'spec' && compat !== 'seed') throw new codes.LINEFY_ERR_INVALID_OPTION('compat', `must be 'spec' or 'seed', got ${String(compat)}`)
  return {
    compat,
    asciiOnly: flag(opts, 'asciiOnly', compat === 'seed'),
    validateResults: flag(opts, 'validateResults', false),
    concurrency: wholeNumber(opts, 'concurrency', 64, 1),
    maxQueue: wholeNumber(opts, 'maxQueue', 4096, 0),
    perConnection: wholeNumber(opts, 'perConnection', 1, 1),
    maxLineBytes: wholeNumber(opts, 'maxLineBytes', 1024 * 1024, 1),
    maxBatch: wholeNumber(opts, 'maxBatch', 1000, 1),
    maxBacklog: wholeNumber(opts, 'maxBacklog', 256, 1),
    closeGraceMs: wholeNumber(opts, 'closeGraceMs', 10_000, 0)
  }
}
