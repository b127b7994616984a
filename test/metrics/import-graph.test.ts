import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {describe, expect, test} from 'vitest'

const root = join(import.meta.dirname, '..', '..')

/** Relative imports (type-only ones included) of every .ts file under `dir`. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const name of readdirSync(dir, {recursive: true}) as string[]) {
    if (!name.endsWith('.ts')) continue
    const file = resolve(dir, name)
    const text = readFileSync(file, 'utf8')
    const deps = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')))
    graph.set(file, deps)
  }
  return graph
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const cycles: string[][] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const dep of graph.get(node) ?? []) {
      if (!graph.has(dep)) continue
      if (state.get(dep) === 'open') cycles.push(stack.slice(stack.indexOf(dep)).map((f) => relative(root, f)))
      else if (!state.has(dep)) visit(dep)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of graph.keys()) if (!state.has(node)) visit(node)
  return cycles
}

describe('module structure', () => {
  test('the metrics stage has no import cycle (SLO grammar, results file, histograms, metric reading)', () => {
    expect(findCycles(importGraph(join(root, 'src', 'metrics')))).toEqual([])
  })
})
