// Child processes of a bench run: each one pinned to a core, each one killed
// when the run ends, however it ends.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const live = new Set()

function killAll () {
  for (const child of live) child.kill('SIGKILL')
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })
}

/**
 * Spawns `argv` on `cpu`. The shell raises the fd limit to its hard maximum
 * (10,000 idle connections need as many fds on both sides) and then execs,
 * so the child's pid is the program's own pid and /proc reads hit it.
 */
export function spawnPinned (cpu, argv, opts = {}) {
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"', String(cpu), ...argv], {
    stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env }
  })
  live.add(child)
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    live.delete(child)
    resolve({ code, signal })
  }))
  let stderr = ''
  child.stderr?.on('data', (d) => { if (stderr.length < 4000) stderr += d })
  child.stderrText = () => stderr
  return child
}

/** SIGTERM, then SIGKILL if it lingers. */
export async function stop (child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  const r = await child.exited
  clearTimeout(timer)
  return r
}

/** VmRSS and VmHWM (peak RSS) in KiB. */
export function memory (pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1])
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

/**
 * Seconds on a CPU and seconds runnable but waiting for one, summed over the
 * process's threads (schedstat counts in ns, where /proc/PID/stat has 10 ms
 * ticks). The wait is how much other load on the machine held it back.
 */
export function schedSeconds (pid) {
  let cpu = 0
  let wait = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, queued] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')
      cpu += Number(run)
      wait += Number(queued)
    } catch {} // the thread ended between the listing and the read
  }
  return { cpu: cpu / 1e9, wait: wait / 1e9 }
}
