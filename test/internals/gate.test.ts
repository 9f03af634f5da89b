import t from 'tap'
import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import fc from 'fast-check'
import { FastqGate } from '../../plugins/gate.js'
import type { GatedRequest } from '../../src/gate/gate.js'

interface Model {
  gate: FastqGate
  running: GatedRequest[]
  started: number[]
  admitted: number[]
  refused: number[]
  ended: Set<GatedRequest>
}

// a core that runs what it is handed and checks the limit as it does
function model (concurrency: number, maxQueue: number): Model {
  const m: Model = { gate: null as unknown as FastqGate, running: [], started: [], admitted: [], refused: [], ended: new Set() }
  const activity = { connections: 0, inFlight: 0, queued: 0, lastActivity: 0 }
  // the core's count of what the gate holds, as handle-request keeps it
  const waiting = new Set<GatedRequest>()
  m.gate = new FastqGate({ concurrency, maxQueue }, {
    activity,
    run (req) {
      waiting.delete(req)
      activity.queued = waiting.size
      if (m.ended.has(req)) return false
      m.running.push(req)
      assert.ok(m.running.length <= concurrency, `${m.running.length} running at once, limit ${concurrency}`)
      m.started.push(req.id as number)
      return true
    }
  })
  const enter = m.gate.enter.bind(m.gate)
  m.gate.enter = (req) => {
    const ok = enter(req)
    if (ok && !m.running.includes(req)) waiting.add(req)
    else if (!ok) assert.ok(activity.queued >= maxQueue, `refused with ${activity.queued} of ${maxQueue} queued`)
    activity.queued = waiting.size
    return ok
  }
  return m
}

t.test('started at once while slots are free, queued once they are not: never more than concurrency, in arrival order, no slot idle while one waits', async (t) => {
  const op = fc.oneof(
    fc.constant({ kind: 'arrive' as const }),
    fc.nat().map((n) => ({ kind: 'finish' as const, n })),
    fc.constant({ kind: 'settle' as const })
  )
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 6 }), fc.array(op, { maxLength: 40 }), async (concurrency, maxQueue, ops) => {
    const m = model(concurrency, maxQueue)
    let next = 0
    const finish = (req: GatedRequest): void => {
      m.running.splice(m.running.indexOf(req), 1)
      m.gate.leave(req)
    }
    for (const o of ops) {
      if (o.kind === 'arrive') {
        const id = next++
        const free = m.running.length < concurrency && m.started.length === m.admitted.length
        if (m.gate.enter({ id, method: 'm', connection: m })) m.admitted.push(id)
        else m.refused.push(id)
        if (free) assert.equal(m.started.at(-1), id, 'a slot free and nobody waiting: it starts before enter() returns')
      } else if (o.kind === 'finish' && m.running.length > 0) {
        finish(m.running[o.n % m.running.length] as GatedRequest)
      } else {
        await tick()
        const waiting = m.admitted.length - m.started.length
        assert.ok(waiting === 0 || m.running.length === concurrency, `${waiting} waiting while ${m.running.length} of ${concurrency} slots are used`)
      }
    }
    for (let turns = 0; m.running.length > 0 || m.started.length < m.admitted.length; turns++) {
      assert.ok(turns <= next, `${m.admitted.length - m.started.length} admitted requests never started`)
      await tick()
      if (m.running.length > 0) finish(m.running[0] as GatedRequest)
    }
    assert.deepEqual(m.started, m.admitted, 'every admitted request ran once, first come first served')
    assert.equal(m.refused.length + m.admitted.length, next)
  }), {
    numRuns: 300,
    // found by this property: a request queued while a freed slot's start waited for the next tick ran before it
    examples: [[2, 1, [{ kind: 'arrive' }, { kind: 'arrive' }, { kind: 'arrive' }, { kind: 'finish', n: 0 }, { kind: 'finish', n: 0 }, { kind: 'arrive' }]]]
  })
})

t.test('a request that ends while it waits gives its turn to the next, started or queued', async (t) => {
  const m = model(1, 10)
  const a = { id: 0, method: 'm', connection: m }
  const b = { id: 1, method: 'm', connection: m }
  const c = { id: 2, method: 'm', connection: m }
  t.ok(m.gate.enter(a))
  t.ok(m.gate.enter(b))
  t.ok(m.gate.enter(c))
  t.same(m.started, [0], 'the first started at once, the others wait')
  m.ended.add(b)
  m.gate.drop(b)
  m.running.splice(0, 1)
  m.gate.leave(a)
  await tick()
  t.same(m.started, [0, 2], 'the one that ended while it waited never ran')
})

t.test('a request that ended before a free slot could start it leaves the slot free', async (t) => {
  const m = model(1, 10)
  const gone = { id: 0, method: 'm', connection: m }
  const next = { id: 1, method: 'm', connection: m }
  m.ended.add(gone)
  t.ok(m.gate.enter(gone))
  t.ok(m.gate.enter(next))
  t.same(m.started, [1], 'the next one got the slot at once')
})
