import t from 'tap'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

t.test('types req.params, handler results and typed clients from the schemas, and rejects misuse', async (t) => {
  const tsc = spawnSync(process.execPath, [
    'node_modules/typescript/bin/tsc', '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--skipLibCheck', '--types', 'node', 'test/types/params.ts', 'test/types/typed-client.ts', 'test/types/from-daemon.ts'
  ], { cwd: root, encoding: 'utf8' })
  t.equal(tsc.stdout + tsc.stderr, '', 'no type errors, and every @ts-expect-error line is an error')
  t.equal(tsc.status, 0)
})
