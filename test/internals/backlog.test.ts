import t from 'tap'
import { Backlog } from '../../src/connection/backlog.js'

// what a connection's backlog holds is private; its size is what a daemon that lives for weeks must keep bounded
const stored = (b: Backlog): number => (b as unknown as { entries: unknown[] }).entries.length

t.test('a backlog that keeps being drained never grows: it is compacted each time it empties', async (t) => {
  const b = new Backlog()
  const order: number[] = []
  let largest = 0
  for (let i = 0; i < 10_000; i++) {
    b.push(2 * i, undefined, null, false)
    b.push(2 * i + 1, undefined, null, false)
    largest = Math.max(largest, stored(b))
    order.push((b.shift() as { seq: number }).seq, (b.shift() as { seq: number }).seq)
  }
  t.equal(largest, 2, 'never more stored than waited at once')
  t.equal(stored(b), 0)
  t.ok(order.every((seq, i) => seq === i), 'first in, first out')
  t.equal(b.waiting, 0)
  t.equal(b.shift(), undefined)
})

t.test('a backlog drained part way holds nothing it has handed out', async (t) => {
  const b = new Backlog()
  for (let i = 0; i < 4; i++) b.push(i, { id: i }, null, false)
  b.shift()
  b.shift()
  t.equal(b.waiting, 2)
  t.same((b as unknown as { entries: unknown[] }).entries.slice(0, 2), [undefined, undefined], 'the started lines are let go')
})
