import t from 'tap'
import { createServer } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bindSocketFile } from '../../src/transport/socket-file.js'
import { tempDir } from '../helpers/util.js'

t.test('a name taken between the stale check and the bind is never replaced: ADDR_IN_USE, our server closed', async (t) => {
  const path = join(tempDir(t), 'd.sock')
  // what a second daemon winning the race leaves there
  writeFileSync(path, 'theirs')
  const server = createServer()
  await t.rejects(bindSocketFile(server, path, 0o600), { code: 'LINEFY_ERR_ADDR_IN_USE' })
  t.equal(server.listening, false)
  t.equal(readFileSync(path, 'utf8'), 'theirs')
})
