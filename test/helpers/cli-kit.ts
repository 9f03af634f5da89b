import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { main, type Io } from '../../src/cli.js'
import { LineLog } from './daemon-kit.js'

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
  let stdout = ''
  let stderr = ''
  io.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  io.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await main(argv, env, io)
  return { code, signal: null, stdout, stderr }
}

/** Starts `main` in-process and hands back its streams while it runs. */
export function runMainLive (argv: string[], env: NodeJS.ProcessEnv = {}): { io: Io, out: LineLog, err: LineLog, code: Promise<number> } {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), signals: new EventEmitter() }
  const out = new LineLog()
  const err = new LineLog()
  io.stdout.on('data', (c: Buffer) => out.push(c))
  io.stderr.on('data', (c: Buffer) => err.push(c))
  return { io, out, err, code: main(argv, env, io) }
}

export interface Child {
  proc: ChildProcess
  out: LineLog
  err: LineLog
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** Starts the real CLI as a child process; killed at teardown if still running. */
export function start (t: Test, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  const out = new LineLog()
  const err = new LineLog()
  proc.stdout?.on('data', (c: Buffer) => out.push(c))
  proc.stderr?.on('data', (c: Buffer) => err.push(c))
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
  return { code, signal, stdout: child.out.lines.map((l) => l + '\n').join(''), stderr: child.err.lines.map((l) => l + '\n').join('') }
}
