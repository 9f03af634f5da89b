// Mutation testing (`npm run test:mutation [group ...]`, see README "Testing").
// Each group mutates a few core files and runs only the tap files that
// exercise them, straight from src/ (none of these files spawns the built
// CLI, so the mutated code is what they run: close() in process is
// test/close.test.ts, SIGTERM to a built daemon test/shutdown.test.ts).
// Stryker's tap runner records which test file covers which mutant and runs
// only those, first failure ending the run.
export const groups = {
  framer: {
    mutate: ['plugins/ndjson.ts', 'plugins/content-length.ts'],
    tests: ['test/internals/ndjson.test.ts', 'test/internals/content-length.test.ts', 'test/framing.test.ts', 'test/properties.test.ts']
  },
  gate: {
    mutate: ['src/gate/gate.ts', 'plugins/gate.ts'],
    tests: ['test/internals/gate.test.ts', 'test/gate.test.ts', 'test/concurrency.test.ts', 'test/cancel.test.ts']
  },
  router: {
    mutate: ['src/router/router.ts', 'src/router/control.ts', 'plugins/router.ts'],
    tests: ['test/router.test.ts', 'test/routing.test.ts', 'test/cancel.test.ts', 'test/server-requests.test.ts', 'test/dispatch.test.ts']
  },
  pipeline: {
    mutate: ['src/request/handle-request.ts', 'src/request/hooks.ts', 'src/request/reply.ts', 'src/request/request.ts'],
    tests: ['test/internals/hooks.test.ts', 'test/internals/reply.test.ts', 'test/hooks.test.ts', 'test/cancel.test.ts', 'test/methods.test.ts', 'test/errors.test.ts', 'test/results.test.ts', 'test/error-mapper.test.ts', 'test/concurrency.test.ts', 'test/inject.test.ts', 'test/gate.test.ts', 'test/routing.test.ts', 'test/dispatch.test.ts', 'test/server-requests.test.ts']
  },
  connection: {
    mutate: ['src/connection/connection.ts', 'src/connection/backlog.ts', 'src/connection/in-flight.ts', 'src/connection/outbox.ts'],
    tests: ['test/internals/backlog.test.ts', 'test/ascii-only.test.ts', 'test/connections.test.ts', 'test/disconnect.test.ts', 'test/halfclose.test.ts', 'test/backpressure.test.ts', 'test/close.test.ts', 'test/cancel.test.ts', 'test/inject.test.ts', 'test/concurrency.test.ts', 'test/hooks.test.ts', 'test/framing.test.ts', 'test/server-requests.test.ts', 'test/dispatch.test.ts', 'test/http.test.ts', 'test/routing.test.ts']
  }
}

const name = process.env.LINEFY_MUTATION_GROUP ?? 'framer'
const group = groups[name]
if (group === undefined) throw new Error(`unknown mutation group ${name}: one of ${Object.keys(groups).join(', ')}`)

export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  tap: {
    testFiles: group.tests,
    // types stripped by esbuild (scripts/ts-hooks.mjs): twice as fast to start as tap's ts-node
    nodeArgs: ['--import', './scripts/ts-loader.mjs', '-r', '{{hookFile}}', '{{testFile}}']
  },
  mutate: group.mutate,
  coverageAnalysis: 'perTest',
  // two cores, shared with benchmarks: LINEFY_MUTATION_CONCURRENCY=2 to go faster
  concurrency: Number(process.env.LINEFY_MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 10000,
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', '.tap', 'reports', 'bench/.build', '.cache'],
  cleanTempDir: true
}
