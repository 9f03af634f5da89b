import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { main, type Io } from '../../src/cli/main.js'
import { buildDaemon } from '../../src/daemon/daemon.js'
import { tempSocket, type Teardown } from './util.js'
import { Lines, serveOn } from './wire.js'

export const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url))

// the built CLI: `npm test` builds first (pretest); run `npm run build` before a single file
export const cliPath = fileURLToPath(new URL('../../dist/linefy.cjs', import.meta.url))

export interface Exit { code: number | null, signal: NodeJS.Signals | null }

/** A child process, its stdout and stderr read as lines. */
export interface Child {
  proc: ChildProcess
  stdout: Lines
  stderr: Lines
  /** Resolves once the process has exited and all its output is read. */
  exited: Promise<Exit>
  /** `exited`, bounded: a process still running after `ms` is killed. */
  exit: (ms?: number) => Promise<Exit>
}

export interface ChildOptions extends SpawnOptions {
  /** Options for node itself, ahead of the script. */
  nodeArgs?: string[]
  /** Exec node from a shell that sets LISTEN_PID to the pid node will have, as systemd does. */
  ownListenPid?: boolean
}

/** Runs node on `argv`; killed at teardown if still running. */
function spawnNode (t: Teardown, argv: string[], options: ChildOptions): Child {
  const { nodeArgs = [], ownListenPid, ...spawnOptions } = options
  const args = [...nodeArgs, ...argv]
  const proc = ownListenPid === true
    ? spawn('/bin/sh', ['-c', 'LISTEN_PID=$$ exec "$0" "$@"', process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions })
    : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions })
  const exited = new Promise<Exit>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })))
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    await exited
  })
  return {
    proc,
    stdout: new Lines(proc.stdout ?? undefined),
    stderr: new Lines(proc.stderr ?? undefined),
    exited,
    async exit (ms = 10_000) {
      const timer = setTimeout(() => proc.kill('SIGKILL'), ms)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/** Runs a script of fixtures/ with node; killed at teardown if still running. */
export function runFixture (t: Teardown, script: string, args: string[] = [], options: ChildOptions = {}): Child {
  return spawnNode(t, [join(fixtures, script), ...args], options)
}

/** Runs a script of the repository (scripts/, bench/) with node; killed at teardown if still running. */
export function runScript (t: Teardown, script: string, args: string[] = [], options: ChildOptions = {}): Child {
  return spawnNode(t, [fileURLToPath(new URL('../../' + script, import.meta.url)), ...args], options)
}

/** What the CLI did: its exit and everything it wrote. */
export interface Run extends Exit {
  stdout: string
  stderr: string
}

/** Starts the real CLI as a child process, `env` added to this one's; killed at teardown if still running. */
export function startCli (t: Teardown, args: string[], env: NodeJS.ProcessEnv = {}, options: ChildOptions = {}): Child {
  return spawnNode(t, [cliPath, ...args], { ...options, env: { ...process.env, ...env } })
}

/** Runs the real CLI to completion, `stdin` as its input. */
export async function runCli (t: Teardown, args: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<Run> {
  const child = startCli(t, args, env)
  child.proc.stdin?.end(stdin)
  const { code, signal } = await child.exited
  return { code, signal, stdout: child.stdout.text, stderr: child.stderr.text }
}

export interface MainIo extends Io {
  stdin: PassThrough
  stdout: PassThrough
  stderr: PassThrough
  signals: EventEmitter
}

/** In-memory streams for `main` in this process, what it writes read as lines. */
export function mainIo (): { io: MainIo, stdout: Lines, stderr: Lines } {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), signals: new EventEmitter() }
  return { io, stdout: new Lines(io.stdout), stderr: new Lines(io.stderr) }
}

/** Starts `main` in this process and hands back its streams while it runs. */
export function runMainLive (argv: string[], env: NodeJS.ProcessEnv = {}): { io: MainIo, stdout: Lines, stderr: Lines, code: Promise<number> } {
  const streams = mainIo()
  return { ...streams, code: main(argv, env, streams.io) }
}

/** Runs `main` in this process to completion. */
export async function runMain (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const r = runMainLive(argv, env)
  const code = await r.code
  return { code, signal: null, stdout: r.stdout.text, stderr: r.stderr.text }
}

/** The reference daemon with its demo methods, served in this process on a fresh socket; closed at teardown. */
export async function serveDaemon (t: Teardown): Promise<string> {
  const path = tempSocket(t)
  await serveOn(t, buildDaemon({ demo: true, logLevel: 'silent' }), path)
  return path
}

/** The log line the reference daemon writes once it serves. */
export const listening = /"msg":"listening"/

/** The reference daemon as a child process, `linefy daemon` on `path`, once it listens; `addresses` as it logged them. */
export async function startDaemon (t: Teardown, path: string, args: string[] = ['--demo'], env: NodeJS.ProcessEnv = {}): Promise<Child & { addresses: string[] }> {
  const child = startCli(t, ['daemon', '--socket', path, ...args], env)
  const line = await Promise.race([child.stderr.match(listening), child.exited.then(() => { throw new Error('daemon exited: ' + child.stderr.all.join('\n')) })])
  return Object.assign(child, { addresses: JSON.parse(line).addresses as string[] })
}
