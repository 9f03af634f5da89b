import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { Activity } from '../core/activity.js'
import type { ErrorMapper } from '../core/errors.js'
import type { Compat } from '../core/options.js'
import type { Gate } from '../gate/gate.js'
import { bind, shapes, type AnyHook, type BoundHooks, type Hooks } from './hooks.js'

/** How a method shows as an MCP tool (plugins/mcp.ts); any method with it is one. */
export interface McpToolOptions {
  /** What the tool does, for the model that picks it (default: the method's description, else its summary). */
  description?: string
  /** A display name. */
  title?: string
  annotations?: {
    title?: string
    readOnlyHint?: boolean
    destructiveHint?: boolean
    idempotentHint?: boolean
    openWorldHint?: boolean
  }
}

/** A call that shows a method at work: `params` as sent on the wire, `result` as answered. */
export interface MethodExample {
  name: string
  params?: unknown
  result: unknown
}

/** What a method says of itself besides its schema and handler: given to app.method(), kept as it is. */
export interface MethodSettings {
  /** Milliseconds before the request is answered -32003 and its signal aborted. */
  timeout?: number
  /** Calling this method sets its connection's wire mode from then on (MCP's initialize: 'spec' in a seed daemon). */
  connectionCompat?: Compat
  /** One line on what the method does, for discovery (`rpc.discover`, `linefy methods`). */
  summary?: string
  /** The longer explanation, for discovery. */
  description?: string
  /** Calls that show the method at work, for discovery; `params` as sent on the wire. */
  examples?: MethodExample[]
  /**
   * false: the method takes no slot at the concurrency gate, for a method that
   * only runs other methods (conn.dispatch()), which take theirs: holding a
   * slot while they wait for one could leave them none (MCP's tools/call).
   */
  gated?: boolean
  /** Serve the method as an MCP tool when plugins/mcp.ts is registered. */
  mcp?: McpToolOptions
}

/** What `app.method()` records; the router keeps it, the core compiles it into a Context at ready(). */
export interface MethodDefinition extends MethodSettings {
  name: string
  // `result` is compiled only with validateResults; discovery and MCP read both
  schema?: { params?: TSchema, result?: TSchema }
  handler: AnyHook
  // the plugin instance the method was added on: its hooks, mapper and `this`
  instance: object
}

/** A method as `app.methods()` describes it: its definition without the handler and plugin instance. */
export type MethodInfo = Omit<MethodDefinition, 'handler' | 'instance'>

/** The instance-wide pieces every context shares, fixed at ready(). */
export interface Admission {
  gate: Gate
  activity: Activity
  maxQueue: number
}

/**
 * Everything the hot path needs for one method, resolved once at ready():
 * hook arrays bound (null when empty), the params validator compiled, the
 * error mapper and the gate bound, the timeout read. Dispatch only branches
 * on `!== null` and `> 0`.
 */
export class Context {
  readonly name: string
  readonly handler: AnyHook
  readonly instance: object
  readonly timeout: number
  readonly connectionCompat: Compat | undefined
  readonly gated: boolean
  readonly validator: TypeCheck<TSchema> | null
  // null unless validateResults is on and the method has a result schema
  readonly resultValidator: TypeCheck<TSchema> | null
  readonly errorMapper: ErrorMapper
  readonly admission: Admission
  readonly onRequest: BoundHooks | null
  readonly preValidation: BoundHooks | null
  readonly preHandler: BoundHooks | null
  readonly onSend: BoundHooks | null
  readonly onResponse: BoundHooks | null
  readonly onError: BoundHooks | null
  readonly onTimeout: BoundHooks | null
  /** Nothing runs before the gate: no onRequest, preValidation or preHandler hook, no params schema. */
  readonly plain: boolean

  constructor (def: MethodDefinition, hooks: Hooks, errorMapper: ErrorMapper, admission: Admission, validateResults: boolean) {
    this.name = def.name
    this.handler = def.handler
    this.instance = def.instance
    this.timeout = def.timeout ?? 0
    this.connectionCompat = def.connectionCompat
    this.gated = def.gated !== false
    this.validator = def.schema?.params === undefined ? null : TypeCompiler.Compile(def.schema.params)
    this.resultValidator = !validateResults || def.schema?.result === undefined ? null : TypeCompiler.Compile(def.schema.result)
    this.errorMapper = errorMapper
    this.admission = admission
    this.onRequest = bind(hooks.onRequest, shapes.targetOnly.arity)
    this.preValidation = bind(hooks.preValidation, shapes.targetOnly.arity)
    this.preHandler = bind(hooks.preHandler, shapes.targetOnly.arity)
    this.onSend = bind(hooks.onSend, shapes.transform.arity)
    this.onResponse = bind(hooks.onResponse, shapes.targetOnly.arity)
    this.onError = bind(hooks.onError, shapes.withValue.arity)
    this.onTimeout = bind(hooks.onTimeout, shapes.targetOnly.arity)
    this.plain = this.onRequest === null && this.preValidation === null && this.validator === null && this.preHandler === null
  }
}
