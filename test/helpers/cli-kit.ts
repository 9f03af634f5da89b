import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { main, type Io } from '../../src/cli.js'
import { Lines } from './wire.js'

// the built CLI: `npm test` builds first (pretest); run `npm run build` before a single file
export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `main` in-process with captured streams. */
export async function runMain (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), signals: new EventEmitter() }
  const stdout = new Lines(io.stdout)
  const stderr = new Lines(io.stderr)
  const code = await main(argv, env, io)
  return { code, signal: null, stdout: stdout.text, stderr: stderr.text }
}

/** Starts `main` in-process and hands back its streams while it runs. */
export function runMainLive (argv: string[], env: NodeJS.ProcessEnv = {}): { io: Io, out: Lines, err: Lines, code: Promise<number> } {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), signals: new EventEmitter() }
  return { io, out: new Lines(io.stdout), err: new Lines(io.stderr), code: main(argv, env, io) }
}

export interface Child {
  proc: ChildProcess
  out: Lines
  err: Lines
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** Starts the real CLI as a child process; killed at teardown if still running. */
export function start (t: Test, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  const out = new Lines(proc.stdout ?? undefined)
  const err = new Lines(proc.stderr ?? undefined)
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }))
  })
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    await exited
  })
  return { proc, out, err, exited }
}

/** Runs the real CLI to completion. */
export async function run (t: Test, args: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<Run> {
  const child = start(t, args, env)
  child.proc.stdin?.end(stdin)
  const { code, signal } = await child.exited
  return { code, signal, stdout: child.out.text, stderr: child.err.text }
}
