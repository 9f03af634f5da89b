import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../..', import.meta.url))

/** Starts a fixture daemon and resolves once it prints its first stdout line. */
export async function startFixture (
  t: { teardown: (fn: () => void) => void },
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = []
): Promise<{ child: ChildProcess, stdout: () => string }> {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'fixtures', script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout?.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code} before it was ready`)))
    child.stdout?.on('data', (s: string) => {
      out += s
      if (out.includes('\n')) resolve()
    })
  })
  return { child, stdout: () => out }
}
