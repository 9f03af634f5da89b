import { RpcError, type Client } from '../client/client.js'
import { codes, RpcCode } from '../core/errors.js'
import type { ErrorObject, MethodObject, OpenRpcDocument } from '../discovery/document.js'
import { closest } from '../discovery/suggest.js'
import { apiTypes, signature } from '../discovery/typescript.js'

/** The daemon's OpenRPC document; LINEFY_ERR_NO_DISCOVERY when it does not answer rpc.discover. */
async function fetchDocument (client: Client, path: string): Promise<OpenRpcDocument> {
  try {
    return await client.call('rpc.discover') as OpenRpcDocument
  } catch (err) {
    if ((err as RpcError).code === RpcCode.METHOD_NOT_FOUND) throw new codes.LINEFY_ERR_NO_DISCOVERY(path)
    throw err
  }
}

function hint (name: string, doc: OpenRpcDocument): string {
  const near = closest(name, doc.methods.map((m) => m.name))
  if (near.length === 0) return ' (`linefy methods` lists them)'
  return ` (did you mean ${near.length === 1 ? near[0] : near.slice(0, -1).join(', ') + ' or ' + near.at(-1)}?)`
}

/** An unknown method's error with the closest names the daemon has, when it answers rpc.discover. */
export async function withSuggestions (client: Client, method: string, err: unknown): Promise<unknown> {
  if (!(err instanceof RpcError) || err.code !== RpcCode.METHOD_NOT_FOUND) return err
  let doc: OpenRpcDocument
  try {
    doc = await client.call('rpc.discover') as OpenRpcDocument
  } catch {
    return err
  }
  return new RpcError(err.code, err.message + hint(method, doc), err.data)
}

/** `linefy methods`: one signature a line. */
export async function listMethods (client: Client, path: string): Promise<string> {
  const doc = await fetchDocument(client, path)
  return doc.methods.map((m) => signature(m) + '\n').join('')
}

const json = (value: unknown): string => JSON.stringify(value)

function errorsOf (m: MethodObject, doc: OpenRpcDocument): ErrorObject[] {
  return m.errors.map((e) => doc.components.errors[e.$ref.slice(e.$ref.lastIndexOf('/') + 1)] as ErrorObject)
}

/** `linefy describe METHOD`: its signature, summary, description, params and result schemas, errors, examples. */
export async function describeMethod (client: Client, path: string, name: string): Promise<string> {
  const doc = await fetchDocument(client, path)
  const m = doc.methods.find((m) => m.name === name)
  if (m === undefined) throw new codes.LINEFY_ERR_UNKNOWN_METHOD(name, hint(name, doc))
  const out = [signature(m), '']
  for (const text of [m.summary, m.description]) if (text !== undefined) out.push(text, '')
  const optional = m['x-linefy-params-optional'] === true ? ', may be left out' : ''
  if (m.paramStructure === 'either' && m.params.length === 0) {
    out.push('params: any (no schema)')
  } else {
    out.push(`params (${m.paramStructure}${optional}):`)
    if (m.params.length === 0) out.push('  none')
    for (const p of m.params) out.push(`  ${p.name}${p.required === true ? '' : ' (optional)'}: ${json(p.schema)}`)
  }
  out.push('result:', '  ' + json(m.result.schema))
  out.push('errors:', ...errorsOf(m, doc).map((e) => `  ${e.code} ${e.message}`))
  if (m.examples !== undefined) {
    out.push('examples:')
    for (const ex of m.examples) {
      const params = m.paramStructure === 'by-name' ? Object.fromEntries(ex.params.map((p) => [p.name, p.value])) : ex.params.map((p) => p.value)
      out.push(`  ${ex.name}: ${json(params)} -> ${json(ex.result.value)}`)
    }
  }
  return out.join('\n') + '\n'
}

/** `linefy types`: the daemon's methods as a TypeScript `Api` type. */
export async function writeTypes (client: Client, path: string): Promise<string> {
  return apiTypes(await fetchDocument(client, path))
}
