import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { codes } from '../src/core/errors.js'
import type { LinefyInstance } from '../src/core/instance.js'
import { plugin } from '../src/core/encapsulation.js'
import type { Activity } from '../src/core/activity.js'

export type LifecycleState = 'wake' | 'sleep' | 'rem' | 'paused'
type Running = Exclude<LifecycleState, 'paused'>

export interface LifecycleOptions {
  /** The state at boot (default 'wake'). */
  initial?: Running
  /** How long no line may have been read before idle() lets background work run (default 1000 ms). */
  quietMs?: number
}

export type TransitionReply =
  | { ok: true, state: LifecycleState, previous: LifecycleState }
  | { ok: false, state: LifecycleState, reason: string, error: string }

export interface Transition {
  from: LifecycleState
  to: LifecycleState
  /** What asked for it: a control type, or whatever the caller of the API passed. */
  cause: string
}

declare module '../src/core/instance.js' {
  interface LinefyInstance {
    lifecycle: Lifecycle
  }
}

/**
 * The daemon's state machine. Only this object changes the state: control
 * lines reach it through the handlers below, background schedulers through
 * its methods, so the router can never move the daemon by itself. Emits
 * 'transition' (Transition) on every change and 'session' (id) on
 * session_open.
 */
export class Lifecycle extends EventEmitter {
  readonly startedAt = Date.now()
  readonly quietMs: number
  private current: LifecycleState
  private beforePause: Running = 'wake'
  private readonly activity: Readonly<Activity>

  constructor (activity: Readonly<Activity>, opts: LifecycleOptions = {}) {
    super()
    const initial = opts.initial ?? 'wake'
    if (initial !== 'wake' && initial !== 'sleep' && initial !== 'rem') {
      throw new codes.LINEFY_ERR_INVALID_OPTION('initial', `must be 'wake', 'sleep' or 'rem', got ${String(initial)}`)
    }
    const quietMs = opts.quietMs ?? 1000
    if (!Number.isInteger(quietMs) || quietMs < 0) {
      throw new codes.LINEFY_ERR_INVALID_OPTION('quietMs', `must be a whole number of milliseconds, got ${String(quietMs)}`)
    }
    this.activity = activity
    this.current = initial
    this.quietMs = quietMs
  }

  get state (): LifecycleState {
    return this.current
  }

  wake (cause = 'wake'): TransitionReply {
    return this.run('wake', cause)
  }

  sleep (cause = 'sleep'): TransitionReply {
    return this.run('sleep', cause)
  }

  rem (cause = 'rem'): TransitionReply {
    return this.run('rem', cause)
  }

  pause (cause = 'pause'): TransitionReply {
    if (this.current === 'paused') return this.refuse('already_paused', 'the daemon is already paused: send resume to continue')
    this.beforePause = this.current
    return this.move('paused', cause)
  }

  resume (cause = 'resume'): TransitionReply {
    if (this.current !== 'paused') return this.refuse('not_paused', `the daemon is not paused (state '${this.current}'): there is nothing to resume`)
    return this.move(this.beforePause, cause)
  }

  openSession (): { ok: true, session_id: string, state: LifecycleState } {
    const id = randomUUID()
    this.emit('session', id)
    return { ok: true, session_id: id, state: this.current }
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

  status (): Record<string, unknown> {
    const a = this.activity
    return {
      ok: true,
      state: this.current,
      connections: a.connections,
      in_flight: a.inFlight,
      queued: a.queued,
      idle_ms: this.idleMs(),
      uptime_ms: Date.now() - this.startedAt,
      pid: process.pid
    }
  }

  private run (to: Running, cause: string): TransitionReply {
    if (this.current === 'paused') return this.refuse('paused', `the daemon is paused: send resume before ${cause}`)
    return this.move(to, cause)
  }

  private move (to: LifecycleState, cause: string): TransitionReply {
    const from = this.current
    if (from !== to) {
      this.current = to
      this.emit('transition', { from, to, cause } satisfies Transition)
    }
    return { ok: true, state: to, previous: from }
  }

  private refuse (reason: string, error: string): TransitionReply {
    return { ok: false, state: this.current, reason, error }
  }
}

/** The control plane of the reference daemon: status, sleep/wake/rem, pause/resume, sessions. */
export default plugin<LifecycleOptions>(async function lifecycle (app: LinefyInstance, opts: LifecycleOptions) {
  const lc = new Lifecycle(app.activity, opts)
  app.decorate('lifecycle', lc)
  app.control('status', () => lc.status())
  app.control('user_initiated_sleep', (msg) => lc.sleep(msg.type as string))
  app.control('force_wake', (msg) => lc.wake(msg.type as string))
  app.control('force_rem', (msg) => lc.rem(msg.type as string))
  app.control('pause', (msg) => lc.pause(msg.type as string))
  app.control('resume', (msg) => lc.resume(msg.type as string))
  app.control('session_open', () => lc.openSession())
}, { name: 'linefy-lifecycle' })
