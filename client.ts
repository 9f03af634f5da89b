export { connect, Client, RpcError } from './src/client/client.js'
export type { AnyApi, ApiOf, CallOptions, ConnectOptions } from './src/client/client.js'
export type { MethodsOf, Signature } from './src/core/api.js'
