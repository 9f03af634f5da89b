import type { EventEmitter } from 'node:events'
import type { Readable, Writable } from 'node:stream'

/** The process as the CLI sees it, so tests can run it in-process. */
export interface Io {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  /** Where SIGTERM and SIGINT arrive: `process`, or a stand-in in tests. */
  signals: EventEmitter
}
