import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// every import a module makes, type-only ones included: they are cycles for a reader too
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:type\s)?[^'"]*?from\s*'([^']+)'|import\s*\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g

/** The .ts files under `roots` (files or folders), as absolute paths. */
export function sourceFiles (roots: string[]): string[] {
  const out: string[] = []
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) for (const name of readdirSync(p)) walk(join(p, name))
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
  }
  for (const root of roots) walk(resolve(root))
  return out.sort()
}

/** file → the project files it imports (relative specifiers, `.js` written for `.ts`). */
export function importGraph (files: string[]): Map<string, string[]> {
  const known = new Set(files)
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const deps: string[] = []
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]
      if (!spec.startsWith('.')) continue
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
      if (known.has(target)) deps.push(target)
    }
    graph.set(file, deps)
  }
  return graph
}

/** Each import cycle once, as the files around it (Tarjan's strongly connected components). */
export function cycles (graph: Map<string, string[]>, base: string): string[][] {
  let index = 0
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    order.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, order.get(w) as number))
      }
    }
    if (low.get(v) !== order.get(v)) return
    const component: string[] = []
    let w: string
    do {
      w = stack.pop() as string
      onStack.delete(w)
      component.push(relative(base, w))
    } while (w !== v)
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
  }
  for (const v of graph.keys()) if (!order.has(v)) visit(v)
  return found
}
