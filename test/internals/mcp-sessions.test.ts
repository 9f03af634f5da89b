import t from 'tap'
import type { Connection } from '../../index.js'
import { Sessions } from '../../src/mcp/session.js'

t.test('the list of sessions drops closed connections as it grows, so it stays within twice the live ones', async (t) => {
  const sessions = new Sessions()
  const live = sessions as unknown as { live: Set<unknown> }
  const conns: Array<{ destroyed: boolean }> = []
  let largest = 0
  for (let i = 0; i < 1000; i++) {
    const conn = { destroyed: false, log: {} } as unknown as Connection & { destroyed: boolean }
    conns.push(conn)
    sessions.initialized(sessions.of(conn), { protocolVersion: 'v', clientInfo: {}, capabilities: {} })
    // all but the last ten go away
    if (i >= 10) (conns[i - 10] as { destroyed: boolean }).destroyed = true
    largest = Math.max(largest, live.live.size)
  }
  t.ok(largest <= 64, `never more than 64 held for 10 live sessions (held at most ${largest})`)
  t.equal(sessions.all().length, 10)
})
