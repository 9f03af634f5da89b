import { Type, type TObject, type TProperties } from '@sinclair/typebox'
import { LOG_LEVELS } from './protocol.js'

// params an MCP client may leave out altogether
const maybe = <T extends TProperties>(o: TObject<T>) => Type.Union([Type.Undefined(), o])

/** The params of the plugin's own methods: checked like any method's, -32602 naming the failing path. */
export const Params = {
  initialize: Type.Object({
    protocolVersion: Type.String(),
    capabilities: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    clientInfo: Type.Optional(Type.Object({ name: Type.String(), version: Type.Optional(Type.String()) }))
  }),
  list: maybe(Type.Object({ cursor: Type.Optional(Type.String()) })),
  call: Type.Object({
    name: Type.String(),
    // any object: a Record(String) would test every key against a pattern, on every call
    arguments: Type.Optional(Type.Object({})),
    _meta: Type.Optional(Type.Object({ progressToken: Type.Optional(Type.Union([Type.String(), Type.Number()])) }))
  }),
  uri: Type.Object({ uri: Type.String() }),
  getPrompt: Type.Object({ name: Type.String(), arguments: Type.Optional(Type.Record(Type.String(), Type.String())) }),
  complete: Type.Object({
    ref: Type.Union([
      Type.Object({ type: Type.Literal('ref/prompt'), name: Type.String() }),
      Type.Object({ type: Type.Literal('ref/resource'), uri: Type.String() })
    ]),
    argument: Type.Object({ name: Type.String(), value: Type.String() }),
    context: Type.Optional(Type.Object({ arguments: Type.Optional(Type.Record(Type.String(), Type.String())) }))
  }),
  setLevel: Type.Object({ level: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))) })
}
