import { Ajv, type ErrorObject } from 'ajv'
import addFormats from 'ajv-formats'
import { openrpcDocument } from '@open-rpc/meta-schema'
import { jsonSchema } from '@json-schema-tools/meta-schema'

const ajv = new Ajv({ strict: false, allErrors: true })
addFormats.default(ajv)
// the OpenRPC meta-schema's schemas are written against this JSON Schema meta-schema, which it names both with and without a trailing slash
ajv.addMetaSchema(jsonSchema as object)
ajv.addSchema({ ...(jsonSchema as object), $id: 'https://meta.json-schema.tools' })
const validate = ajv.compile(openrpcDocument as object)

/** The OpenRPC meta-schema's complaints about a document: none for a valid one. */
export function openRpcErrors (doc: unknown): ErrorObject[] {
  return validate(doc) ? [] : validate.errors ?? []
}
