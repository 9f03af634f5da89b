import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { Activity } from '../core/activity.js'
import { codes } from '../core/errors.js'
import { version as linefyVersion } from '../core/version.js'
import {
  badString, clip, count, digest, FSM_STATES, invalid, isObject, isoNow, SLOTS,
  type ControlReply, type ControlRequests, type ControlType, type Doc, type FsmState, type LifecycleOptions, type RequestType, type Transition
} from './messages.js'
import { readJson, writeJsonAtomic } from './state-file.js'

/**
 * The control plane of the Python daemon, as data a scheduler reads. Control
 * lines only record what they ask for: pending requests, the scheduler's
 * pause flag, the table of open sessions. The daemon's own scheduler reads
 * those, honours them and moves the state machine; nothing on the socket
 * ever moves it (the Python project's C-DISPATCHER-FSM-ISOLATION rule).
 *
 * Events: 'request' (type, detail) whenever a control line records
 * something, so a scheduler need not poll; 'transition' (Transition) when
 * the scheduler moves the state.
 */
export class Lifecycle extends EventEmitter {
  readonly quietMs: number
  readonly version: string
  readonly stateFile: string | null
  readonly maxSessions: number
  readonly sessionTtlMs: number
  private readonly startedMs = Date.now()
  private doc: Doc
  private readonly open = new Map<string, string>()
  private readonly activity: Readonly<Activity>
  private readonly log: Logger | null
  private writing: Promise<void> | null = null
  private waiting: Promise<void> | null = null

  constructor (activity: Readonly<Activity>, opts: LifecycleOptions = {}, log: Logger | null = null) {
    super()
    const initial = opts.initial ?? 'WAKE'
    if (!FSM_STATES.includes(initial)) throw new codes.LINEFY_ERR_INVALID_FSM_STATE(initial)
    this.quietMs = count(opts, 'quietMs', 1000, 0)
    this.maxSessions = count(opts, 'maxSessions', 100, 1)
    this.sessionTtlMs = count(opts, 'sessionTtlMs', 24 * 3600 * 1000, 1)
    this.version = opts.version ?? linefyVersion
    this.stateFile = opts.stateFile ?? null
    this.activity = activity
    this.log = log
    this.doc = { fsm_state: initial, daemon_started_at: isoNow(this.startedMs), scheduler_paused: false, first_turn_pending: {} }
  }

  /** The state machine's state: only the scheduler moves it, with transition(). */
  get state (): FsmState {
    return this.doc.fsm_state
  }

  /** Whether pause asked the scheduler to hold off background work. */
  get paused (): boolean {
    return this.doc.scheduler_paused
  }

  /** Open sessions whose first turn is still pending: session id -> when it opened (ISO 8601). */
  get sessions (): ReadonlyMap<string, string> {
    return this.open
  }

  /** The request of this type waiting for the scheduler, or null. */
  pending<K extends RequestType> (type: K): ControlRequests[K] | null {
    const slot = this.doc[SLOTS[type]]
    if (!isObject(slot) || slot.pending !== true) return null
    const { pending: _, honored_at: __, ...request } = slot
    return request as ControlRequests[K]
  }

  /** Takes the pending request of this type: it is marked honoured, and null is returned if there was none. */
  honor<K extends RequestType> (type: K): ControlRequests[K] | null {
    const request = this.pending(type)
    if (request === null) return null
    this.doc[SLOTS[type]] = { ...request, pending: false, honored_at: isoNow() }
    this.save()
    return request
  }

  /** True the first time it is asked for an open session, then never again: the session leaves the table. */
  consumeFirstTurn (sessionId: string): boolean {
    if (!this.open.delete(sessionId)) return false
    this.save()
    return true
  }

  /** The scheduler moves the state machine. */
  transition (to: FsmState, cause = 'scheduler'): void {
    if (!FSM_STATES.includes(to)) throw new codes.LINEFY_ERR_INVALID_FSM_STATE(to)
    const from = this.doc.fsm_state
    if (from === to) return
    this.doc.fsm_state = to
    this.save()
    this.emit('transition', { from, to, cause } satisfies Transition)
  }

  /** The scheduler ran a tick: stamps last_tick_at, and what it learnt if it says so. */
  tick (info: { quietWindow?: unknown, pendingDigest?: Record<string, unknown> | null } = {}): void {
    this.doc.last_tick_at = isoNow()
    if (info.quietWindow !== undefined) this.doc.quiet_window = info.quietWindow
    if (info.pendingDigest !== undefined) this.doc.pending_digest = info.pendingDigest
    this.save()
  }

  /** Milliseconds since the last line was read on any connection. */
  idleMs (): number {
    return Math.max(0, Date.now() - this.activity.lastActivity)
  }

  /**
   * Whether background work may run now: nothing running or queued and no
   * line read for `quietMs`. Open connections alone do not count, since a
   * stdio bridge stays connected for as long as its host lives.
   */
  idle (quietMs = this.quietMs): boolean {
    const a = this.activity
    return a.inFlight === 0 && a.queued === 0 && this.idleMs() >= quietMs
  }

  /** The `status` reply: the Python daemon's fields in its order, then linefy's probes. */
  status (): ControlReply {
    const a = this.activity
    const d = this.doc
    return {
      ok: true,
      state: d.fsm_state,
      uptime_sec: (Date.now() - this.startedMs) / 1000,
      version: this.version,
      fsm_state: d.fsm_state,
      last_tick_at: d.last_tick_at ?? null,
      quiet_window: d.quiet_window ?? null,
      pending_digest: digest(d.pending_digest),
      daemon_started_at: d.daemon_started_at,
      scheduler_paused: d.scheduler_paused,
      connections: a.connections,
      in_flight: a.inFlight,
      queued: a.queued,
      idle_ms: this.idleMs(),
      uptime_ms: Date.now() - this.startedMs,
      pid: process.pid,
      pending: (Object.keys(SLOTS) as RequestType[]).filter((type) => this.pending(type) !== null)
    }
  }

  /** Answers one control line. Synchronous unless the state goes to a file. */
  handle (type: ControlType, msg: Record<string, unknown>): ControlReply | Promise<ControlReply> {
    switch (type) {
      case 'status':
        return this.status()
      case 'user_initiated_sleep': {
        const bad = badString(msg, 'reason', 'ts')
        if (bad !== null) return bad
        if (this.doc.fsm_state !== 'WAKE') return { ok: false, reason: 'already_sleeping' }
        return this.record(type, { reason: clip((msg.reason as string | undefined) ?? '', 500), ts: this.ts(msg) }, { ok: true, state: 'TRANSITIONING' })
      }
      case 'force_wake':
      case 'force_rem':
        return badString(msg, 'ts') ?? this.record(type, { ts: this.ts(msg) }, { ok: true, reason: type === 'force_wake' ? 'wake_queued' : 'rem_queued' })
      case 'pause':
      case 'resume': {
        if ('seconds' in msg && !Number.isInteger(msg.seconds)) return invalid('seconds must be an int')
        this.doc.scheduler_paused = type === 'pause'
        this.emit('request', type, msg.seconds === undefined ? {} : { seconds: msg.seconds })
        return this.saved({ ok: true, paused: type === 'pause' })
      }
      case 'session_open': {
        const bad = badString(msg, 'session_id', 'ts')
        if (bad !== null) return bad
        const request = { session_id: clip((msg.session_id as string | undefined) ?? '', 128), ts: this.ts(msg) }
        this.doc.last_session_open = { ...request }
        this.openSession(request.session_id)
        return this.record(type, request, { ok: true, reason: 'session_open_queued' })
      }
    }
  }

  /** Reads the state file, if any; a state file that is not JSON is replaced, as the Python daemon does. */
  async load (): Promise<void> {
    const file = this.stateFile
    if (file === null) return
    let saved: unknown
    try {
      saved = await readJson(file)
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw new codes.LINEFY_ERR_STATE_FILE(file, (err as Error).message)
      this.log?.warn({ file, err }, 'the control state file is not JSON: starting from a fresh state')
    }
    if (isObject(saved)) this.adopt(saved)
    await this.persist().catch((err: Error) => { throw new codes.LINEFY_ERR_STATE_FILE(file, err.message) })
  }

  /** Resolves once every change so far is in the state file (at once without one). */
  async flush (): Promise<void> {
    await (this.waiting ?? this.writing)?.catch(() => {})
  }

  // keeps what the file holds, other tools' keys included; what linefy reads must have the right type
  private adopt (saved: Record<string, unknown>): void {
    const doc = this.doc
    this.doc = {
      ...saved,
      fsm_state: typeof saved.fsm_state === 'string' && FSM_STATES.includes(saved.fsm_state) ? saved.fsm_state as FsmState : doc.fsm_state,
      daemon_started_at: doc.daemon_started_at,
      scheduler_paused: saved.scheduler_paused === true
    }
    const sessions = saved.first_turn_pending
    if (isObject(sessions)) {
      for (const [id, at] of Object.entries(sessions)) if (typeof at === 'string') this.open.set(id, at)
    }
    this.prune(Date.now())
    this.doc.first_turn_pending = Object.fromEntries(this.open)
  }

  private openSession (id: string): void {
    const now = Date.now()
    // a re-open counts as the newest
    this.open.delete(id)
    this.open.set(id, isoNow(now))
    this.prune(now)
  }

  private prune (now: number): void {
    for (const [id, at] of this.open) {
      const ms = Date.parse(at)
      if (!(now - ms < this.sessionTtlMs)) this.open.delete(id)
    }
    // a Map keeps insertion order: the first entries are the oldest
    for (const id of this.open.keys()) {
      if (this.open.size <= this.maxSessions) break
      this.open.delete(id)
    }
  }

  private ts (msg: Record<string, unknown>): string {
    return (msg.ts as string | undefined) ?? isoNow()
  }

  private record<K extends RequestType> (type: K, request: ControlRequests[K], reply: ControlReply): ControlReply | Promise<ControlReply> {
    this.doc[SLOTS[type]] = { ...request, pending: true }
    this.emit('request', type, request)
    return this.saved(reply)
  }

  /** `reply` once the change is saved; state_write_failed, as the Python daemon answers, when it cannot be. */
  private saved (reply: ControlReply): ControlReply | Promise<ControlReply> {
    if (this.stateFile === null) return reply
    return this.persist().then(() => reply, (err: Error) => {
      const message = new codes.LINEFY_ERR_STATE_FILE(this.stateFile, err.message).message
      this.log?.error({ err }, 'control state not saved')
      return { ok: false, reason: 'state_write_failed', error: message.slice(0, 200) }
    })
  }

  /** A change made by the scheduler: saved in the background, a failure logged. */
  private save (): void {
    if (this.stateFile === null) return
    this.persist().catch((err: Error) => this.log?.error({ err }, 'control state not saved'))
  }

  // one write at a time, renames in order; changes made during a write go out in the next one
  private persist (): Promise<void> {
    if (this.waiting !== null) return this.waiting
    if (this.writing === null) return this.write()
    const waiting = this.writing.then(() => {
      this.waiting = null
      return this.write()
    })
    this.waiting = waiting
    return waiting
  }

  private write (): Promise<void> {
    this.doc.first_turn_pending = Object.fromEntries(this.open)
    const done = writeJsonAtomic(this.stateFile as string, this.doc)
    const clear = (): void => { this.writing = null }
    this.writing = done.then(clear, clear)
    return done
  }
}
