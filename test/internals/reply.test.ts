import t from 'tap'
import { jsonOfId } from '../../src/request/reply.js'

t.test('an id is echoed as JSON writes it: whole numbers digit for digit, others as they are, non-JSON as null', async (t) => {
  const ids = [0, -0, 1, 9, 10, 99, 100, 101, 199, 1000, 1001, 9999, 10_000, 10_001, 123_456_789, 100_000_000, 2 ** 31, Number.MAX_SAFE_INTEGER, -1, -100, 1.5, 0.001, 1e21, Number.MAX_SAFE_INTEGER + 2, 'a"b', '', 'ü']
  for (const id of ids) t.equal(jsonOfId(id), JSON.stringify(id), String(id))
  for (let n = 0; n < 20_000; n += 7) if (jsonOfId(n) !== String(n)) t.fail(`${n}`)
  for (const id of [NaN, Infinity, -Infinity, null, undefined, true, {}, []]) t.equal(jsonOfId(id), 'null', String(id))
})
