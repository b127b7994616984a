import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {assertInlineableScript} from './escape.js'

/** A library build inlined into every report, in load order: vega-embed finds vega and vega-lite as globals. */
export interface VendorScript {
  name: string
  version: string
  source: string
}

const builds = [
  {name: 'vega', file: 'vega.min.js'},
  {name: 'vega-lite', file: 'vega-lite.min.js'},
  {name: 'vega-embed', file: 'vega-embed.min.js'},
] as const

let cached: VendorScript[] | undefined

/**
 * The minified UMD builds from node_modules. Each package's entry point is resolved (so
 * hoisting does not matter) and the UMD file is read from the same build folder.
 */
export function readVendorScripts(): VendorScript[] {
  if (cached !== undefined) return cached
  cached = builds.map(({name, file}) => {
    const entry = fileURLToPath(import.meta.resolve(name))
    const buildDir = dirname(entry)
    const path = join(buildDir, file)
    let source: string
    try {
      source = readFileSync(path, 'utf8')
    } catch (error) {
      throw new Error(`internal: cannot read ${name}'s browser build ${path}: ${(error as Error).message} (is ${name} installed?)`)
    }
    assertInlineableScript(source, path)
    const pkg = JSON.parse(readFileSync(join(buildDir, '..', 'package.json'), 'utf8')) as {version?: string}
    return {name, version: pkg.version ?? 'unknown', source}
  })
  return cached
}
