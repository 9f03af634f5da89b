import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * The socket path the Python daemon used, so existing clients find us:
 * --socket, else IAI_DAEMON_SOCKET_PATH, else ~/.iai-mcp/.daemon.sock.
 */
export function socketPath (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return flag
  const fromEnv = env.IAI_DAEMON_SOCKET_PATH
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  return join(homedir(), '.iai-mcp', '.daemon.sock')
}
