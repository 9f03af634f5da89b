import type { Connection, Sink } from '../connection/types.js'
import { isThenable } from '../request/hooks.js'
import { mapError } from '../../plugins/error-mapper.js'
import type { ControlContext } from './router.js'

/**
 * Runs a control handler for any router: its value is the reply (none for
 * undefined or null); a failure goes through the handler's error mapper and
 * is answered `{ ok: false, reason: 'control_error', error }`, the shape
 * control clients already read.
 */
export function runControl (ctl: ControlContext, msg: Record<string, unknown>, conn: Connection, sink: Sink, slot: number): void {
  let r: unknown
  try {
    r = ctl.handler(msg, conn)
  } catch (err) {
    return controlFailed(ctl, msg, conn, sink, slot, err)
  }
  if (isThenable(r)) {
    r.then((v) => controlDone(ctl, msg, conn, sink, slot, v), (err) => controlFailed(ctl, msg, conn, sink, slot, err))
  } else {
    controlDone(ctl, msg, conn, sink, slot, r)
  }
}

function controlDone (ctl: ControlContext, msg: Record<string, unknown>, conn: Connection, sink: Sink, slot: number, value: unknown): void {
  if (value === undefined || value === null) return sink.complete(slot, undefined)
  let line: string
  try {
    line = JSON.stringify(value)
  } catch (err) {
    return controlFailed(ctl, msg, conn, sink, slot, err)
  }
  sink.complete(slot, line)
}

function controlFailed (ctl: ControlContext, msg: Record<string, unknown>, conn: Connection, sink: Sink, slot: number, err: unknown): void {
  conn.log.error({ err, control: ctl.type }, 'control handler failed')
  const wire = mapError(ctl.errorMapper, err, msg, conn.log)
  sink.complete(slot, JSON.stringify({ ok: false, reason: 'control_error', error: wire.message.slice(0, 200) }))
}
