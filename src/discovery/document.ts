import { RpcCode } from '../core/errors.js'

/** The part of OpenRPC 1.3 linefy writes and reads: what `rpc.discover` answers. */

export type JsonSchema = boolean | { [keyword: string]: unknown }

export interface ContentDescriptor {
  name: string
  schema: JsonSchema
  required?: boolean
}

export interface ExamplePairing {
  name: string
  params: Array<{ name: string, value: unknown }>
  result: { name: string, value: unknown }
}

export type ParamStructure = 'by-name' | 'by-position' | 'either'

export interface MethodObject {
  name: string
  summary?: string
  description?: string
  paramStructure: ParamStructure
  params: ContentDescriptor[]
  result: ContentDescriptor
  errors: Array<{ $ref: string }>
  examples?: ExamplePairing[]
  /** The params may be left out altogether (a TypeBox union with Type.Undefined()); OpenRPC has no word for it. */
  'x-linefy-params-optional'?: true
}

export interface ServerObject {
  name: string
  url: string
}

export interface InfoObject {
  title: string
  version: string
  description?: string
}

export interface ErrorObject {
  code: number
  message: string
}

export interface OpenRpcDocument {
  openrpc: string
  info: InfoObject
  servers: ServerObject[]
  methods: MethodObject[]
  components: { errors: Record<string, ErrorObject> }
}

export const OPENRPC_VERSION = '1.3.2'

/** The errors linefy itself can answer (README, Error codes), under the names methods refer to them by. */
export const errorComponents: Record<string, ErrorObject> = {
  ParseError: { code: RpcCode.PARSE_ERROR, message: 'line is not JSON, or not UTF-8' },
  InvalidRequest: { code: RpcCode.INVALID_REQUEST, message: 'invalid envelope, over-long line or batch too large' },
  MethodNotFound: { code: RpcCode.METHOD_NOT_FOUND, message: 'unknown method' },
  InvalidParams: { code: RpcCode.INVALID_PARAMS, message: "params fail the method's schema" },
  InternalError: { code: RpcCode.INTERNAL_ERROR, message: 'internal error, e.g. a result that cannot be serialised' },
  HandlerFailed: { code: RpcCode.HANDLER_FAILED, message: 'the handler threw' },
  Timeout: { code: RpcCode.TIMEOUT, message: 'request timed out' },
  Overloaded: { code: RpcCode.OVERLOADED, message: 'server overloaded: retry later' },
  ShuttingDown: { code: RpcCode.SHUTTING_DOWN, message: 'server shutting down' },
  Cancelled: { code: RpcCode.CANCELLED, message: 'request cancelled' }
}

export function errorRef (name: keyof typeof errorComponents): { $ref: string } {
  return { $ref: '#/components/errors/' + name }
}
