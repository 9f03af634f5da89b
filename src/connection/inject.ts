import { codes } from '../core/errors.js'
import type { Reply } from '../core/instance.js'
import type { InternalInstance } from '../core/internal.js'
import { Phase } from '../core/state.js'
import { kFraming, kHooks, kState } from '../core/symbols.js'
import { bind, runOnConnectionHooks, type BoundHooks } from '../request/hooks.js'
import { LineConnection } from './connection.js'

function parse (line: string | undefined): Reply | undefined {
  return line === undefined ? undefined : JSON.parse(line) as Reply
}

/**
 * Runs lines through the real framing and pipeline on a fake connection,
 * with no socket. An object is one request on a fresh connection; an array
 * is raw lines on one connection, answered slot for slot (undefined where a
 * line gets no reply).
 */
export async function inject (app: InternalInstance, input: object | Array<string | object>): Promise<Reply | undefined | Array<Reply | undefined>> {
  const state = app[kState]
  if (state.phase >= Phase.Closing) throw new codes.LINEFY_ERR_CLOSED('inject')
  await app.ready()
  if (state.phase >= Phase.Closing) throw new codes.LINEFY_ERR_CLOSED('inject')

  const single = !Array.isArray(input)
  const lines = single ? [JSON.stringify(input)] : input.map((l) => typeof l === 'string' ? l : JSON.stringify(l))
  const framing = app[kFraming]
  const hooks = app[kHooks]
  const replies = new Map<number, string | undefined>()
  let fed = false
  let finished!: () => void
  const allAnswered = new Promise<void>((resolve) => { finished = resolve })
  let cutShort = false
  // close()'s deadline may end the connection with lines still unanswered
  // (a control handler that never settles): the caller must not wait forever
  const onGone = (): void => {
    cutShort = conn.pending > 0
    finished()
  }
  const conn = new LineConnection(state, null, framing, bind([...hooks.onDisconnect, onGone], 2), (seq, line) => {
    replies.set(seq, line)
    if (fed && conn.pending === 0) finished()
  })

  try {
    if (hooks.onConnection.length > 0) {
      await new Promise<void>((resolve, reject) => {
        runOnConnectionHooks(bind(hooks.onConnection, 2) as BoundHooks, conn, undefined, (err) => err !== null ? reject(err) : resolve())
      })
    }
    const firstFrame: number[] = []
    for (const line of lines) {
      firstFrame.push(conn.framesRead)
      conn.push(Buffer.from(framing.encode(line)))
    }
    firstFrame.push(conn.framesRead)
    fed = true
    if (conn.pending === 0) finished()
    await allAnswered
    if (cutShort) throw new codes.LINEFY_ERR_CLOSED('inject')

    const out = lines.map((_, i) => firstFrame[i + 1] > firstFrame[i] ? parse(replies.get(firstFrame[i])) : undefined)
    return single ? out[0] : out
  } finally {
    conn.destroy()
  }
}
