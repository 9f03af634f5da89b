// `npm run test:mutation [group ...]`: one Stryker run per group of core
// files (stryker.config.mjs), in order, each report under reports/mutation/.
import { spawnSync } from 'node:child_process'
import { groups } from '../stryker.config.mjs'

const names = process.argv.slice(2)
for (const name of names) if (!(name in groups)) throw new Error(`unknown mutation group ${name}: one of ${Object.keys(groups).join(', ')}`)
let failed = 0
for (const name of names.length > 0 ? names : Object.keys(groups)) {
  console.log(`\n## mutation group ${name}: ${groups[name].mutate.join(', ')}`)
  const run = spawnSync(process.execPath, ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run', 'stryker.config.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, LINEFY_MUTATION_GROUP: name }
  })
  if (run.status !== 0) failed++
}
process.exitCode = failed === 0 ? 0 : 1
