export { connect, Client, RpcError } from './src/client/client.js'
export type { CallOptions, ConnectOptions } from './src/client/client.js'
