import t from 'tap'
import { readFileSync } from 'node:fs'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cycles, importGraph, sourceFiles } from './helpers/imports.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const files = sourceFiles(['index.ts', 'client.ts', 'cli.ts', 'src', 'plugins'].map((p) => join(root, p)))

t.test('no import cycles in the library, type-only imports included', async (t) => {
  t.ok(files.length > 30, `read ${files.length} source files`)
  t.same(cycles(importGraph(files), root), [])
})

t.test('the cycle check finds a cycle closed only by a type import', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'linefy-cycles-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js'\nexport const a = b\n")
  writeFileSync(join(dir, 'b.ts'), "import type { A } from './c.js'\nexport const b = 1\nexport type B = A\n")
  writeFileSync(join(dir, 'c.ts'), "export type { a as A } from './a.js'\n")
  writeFileSync(join(dir, 'd.ts'), "const lazy = () => import('./d.js')\nexport { lazy }\n")
  t.same(cycles(importGraph(sourceFiles([dir])), dir), [['a.ts', 'b.ts', 'c.ts'], ['d.ts']])
})

t.test('every source file reads in one sitting (300 lines at most)', async (t) => {
  const long = files.map((f) => [relative(root, f), readFileSync(f, 'utf8').trimEnd().split('\n').length] as const).filter(([, n]) => n > 300)
  t.same(long, [])
})

t.test('the framework never names the reference daemon\'s socket path or environment variable', async (t) => {
  const core = files.filter((f) => !/[/\\](daemon|cli)[/\\]/.test(relative(root, f)) && !/plugins[/\\](lifecycle|demo)\.ts$/.test(f) && !/^(index|cli)\.ts$/.test(relative(root, f)))
  const named = core.filter((f) => /IAI_|\.iai-mcp/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f))
  t.same(named, [])
})
