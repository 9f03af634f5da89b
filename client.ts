export { connect, Client, RpcError } from './src/client.js'
export type { CallOptions } from './src/client.js'
