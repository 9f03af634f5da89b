import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectionCap, fdLimit } from '../../src/transport/fd-limit.js'
import { tempDir } from '../helpers/util.js'

const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            ${soft}                  4096                 files
Max locked memory         8388608              8388608              bytes
`

t.test('reads the open-files limit from a /proc limits table', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'limits'), limits('256'))
  writeFileSync(join(dir, 'unlimited'), limits('unlimited'))
  t.equal(fdLimit(join(dir, 'limits')), 256)
  t.equal(fdLimit(join(dir, 'unlimited')), null, 'unlimited: no cap')
  t.equal(fdLimit(join(dir, 'missing')), null, 'no /proc (macOS, the BSDs): no cap')
})

t.test('keeps a tenth of the descriptors, and at least 64, for the daemon itself', async (t) => {
  t.same([256, 1024, 20_000, 65, 10].map(connectionCap), [192, 922, 18_000, 1, 1])
  t.equal(connectionCap(null), null)
})
