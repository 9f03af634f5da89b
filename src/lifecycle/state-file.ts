import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'

let serial = 0

/**
 * Writes `value` as JSON to `path` so that a reader, or a crash, only ever
 * sees the old file or the new one whole: a temporary file beside it (same
 * file system, mode 0600), flushed to disk, then renamed over it. The
 * directory is created (0700) if it is missing.
 */
export async function writeJsonAtomic (path: string, value: unknown): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // a fixed short name: a long state file name must not push the temporary one past NAME_MAX
  const tmp = join(dir, `.linefy-state.${process.pid}.${++serial}.tmp`)
  try {
    const fh = await open(tmp, 'wx', 0o600)
    try {
      await fh.writeFile(JSON.stringify(value, null, 2) + '\n')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    // the first error is the one worth reporting
    await rm(tmp, { force: true }).catch(() => {})
    throw err
  }
}

/** The file's JSON; undefined when there is no file. Read errors other than ENOENT and bad JSON throw. */
export async function readJson (path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return JSON.parse(text)
}
