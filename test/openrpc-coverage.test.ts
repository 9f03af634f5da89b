import t from 'tap'
import { runScript, startDaemon } from './helpers/process.js'
import { tempSocket } from './helpers/util.js'

// the report without colours, whatever the terminal says
const env = { ...process.env, FORCE_COLOR: '0' }

t.test('@open-rpc/test-coverage passes against the reference daemon, from the daemon\'s own document', async (t) => {
  const path = tempSocket(t)
  await startDaemon(t, path)
  const run = runScript(t, 'scripts/openrpc-coverage.js', ['--socket', path, '--skip', 'fail'], { env })
  t.same(await run.exit(60_000), { code: 0, signal: null }, run.stderr.text)
  const report = run.stdout.text
  for (const call of ['echo([])', 'sleep({"ms":10})']) t.match(report, `✓ - ${call}`)
  t.equal(report.match(/✓ - add\(\{"a":-?[\d.e+-]+,"b":-?[\d.e+-]+\}\)/g)?.length, 10, 'add: ten calls with params made from its schema')
  t.match(report, /\nSuccess: {2}12\nErrors: {2}0\n/)
})

t.test('test-coverage fails on a method that answers errors: the check can fail', async (t) => {
  const path = tempSocket(t)
  await startDaemon(t, path)
  const run = runScript(t, 'scripts/openrpc-coverage.js', ['--socket', path, '--only', 'fail'], { env })
  t.same(await run.exit(60_000), { code: 1, signal: null })
  t.match(run.stdout.text, /\nSuccess: {2}0\nErrors: {2}10\n/)
})

t.test('the coverage script: usage and a daemon that is not running', async (t) => {
  const usage = 'usage: node scripts/openrpc-coverage.js --socket PATH [--skip a,b] [--only a,b]\n'
  const none = runScript(t, 'scripts/openrpc-coverage.js', [], { env })
  t.same(await none.exit(), { code: 2, signal: null })
  t.equal(none.stderr.text, usage)
  const bogus = runScript(t, 'scripts/openrpc-coverage.js', ['--bogus'], { env })
  t.same(await bogus.exit(), { code: 2, signal: null })
  t.match(bogus.stderr.text, /^Unknown option '--bogus'/)
  const path = tempSocket(t)
  const down = runScript(t, 'scripts/openrpc-coverage.js', ['--socket', path], { env })
  t.same(await down.exit(), { code: 1, signal: null })
  t.equal(down.stderr.text, `cannot read the daemon's OpenRPC document: no daemon is listening on ${path}: start one with \`linefy daemon\`, or pass --socket with the path it listens on\n`)
})
