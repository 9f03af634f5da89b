import { codes } from '../core/errors.js'

/** The daemon's state machine, named as the Python daemon names it. */
export type FsmState = 'WAKE' | 'TRANSITIONING' | 'SLEEP' | 'DREAMING'

export const FSM_STATES: readonly string[] = ['WAKE', 'TRANSITIONING', 'SLEEP', 'DREAMING']

/** What each control line asks the scheduler for, as recorded until the scheduler honours it. */
export interface ControlRequests {
  user_initiated_sleep: { reason: string, ts: string }
  force_wake: { ts: string }
  force_rem: { ts: string }
  /** The cascade (pre-warm) request session_open leaves; the session itself goes to `sessions`. */
  session_open: { session_id: string, ts: string }
}

export type RequestType = keyof ControlRequests

/** Every control type the plugin answers. */
export type ControlType = RequestType | 'status' | 'pause' | 'resume'

export interface LifecycleOptions {
  /** The state at boot when no state file says otherwise (default 'WAKE'). */
  initial?: FsmState
  /** How long no line may have been read before idle() lets background work run (default 1000 ms). */
  quietMs?: number
  /** What `status` reports as `version` (default linefy's own). */
  version?: string
  /** Keep the control state in this JSON file, written atomically on every change. */
  stateFile?: string
  /** Open sessions kept in `sessions` at most; the oldest go first (default 100). */
  maxSessions?: number
  /** A session not consumed within this time is dropped (default 24 h). */
  sessionTtlMs?: number
}

export interface Transition {
  from: FsmState
  to: FsmState
  /** What moved it, as the scheduler said. */
  cause: string
}

export type ControlReply = Record<string, unknown>

// where each request lives in the state document: the Python daemon's keys, so
// that its tools can read a state file linefy wrote and the other way round
export const SLOTS: Record<RequestType, string> = {
  user_initiated_sleep: 'user_sleep_request',
  force_wake: 'force_wake_request',
  force_rem: 'force_rem_request',
  session_open: 'hippea_cascade_request'
}

export type Doc = Record<string, unknown> & {
  fsm_state: FsmState
  daemon_started_at: string
  scheduler_paused: boolean
}

/** Python's datetime.now(timezone.utc).isoformat(): what the Python daemon's clients parse. */
export function isoNow (ms = Date.now()): string {
  return new Date(ms).toISOString().slice(0, -1) + '000+00:00'
}

export function isObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

// Python slices by code point: never leave half a surrogate pair behind
export function clip (s: string, max: number): string {
  if (s.length <= max) return s
  let end = 0
  for (let n = 0; n < max && end < s.length; n++) {
    const c = s.charCodeAt(end)
    end += c >= 0xd800 && c <= 0xdbff && end + 1 < s.length ? 2 : 1
  }
  return s.slice(0, end)
}

export function invalid (error: string): ControlReply {
  return { ok: false, reason: 'invalid_message', error }
}

/** Absent is fine; present, it must be a string. */
export function badString (msg: Record<string, unknown>, ...keys: string[]): ControlReply | null {
  for (const key of keys) if (key in msg && typeof msg[key] !== 'string') return invalid(`${key} must be a string`)
  return null
}

export function digest (d: unknown): Record<string, unknown> | null {
  if (!isObject(d)) return null
  // the socket carries the counters only: the whole digest can run to kilobytes
  return {
    rem_cycles_completed: d.rem_cycles_completed ?? 0,
    episodes_processed: d.episodes_processed ?? 0,
    schemas_induced_tier0: d.schemas_induced_tier0 ?? 0,
    claude_call_used: d.claude_call_used ?? false
  }
}

export function count (opts: LifecycleOptions, name: 'quietMs' | 'maxSessions' | 'sessionTtlMs', fallback: number, min: number): number {
  const v = opts[name] ?? fallback
  if (!Number.isInteger(v) || v < min) throw new codes.LINEFY_ERR_INVALID_OPTION(name, `must be a whole number >= ${min}, got ${String(v)}`)
  return v
}
