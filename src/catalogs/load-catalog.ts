import {readFileSync} from 'node:fs'
import {isAbsolute, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {z} from 'zod'
import {ConfigError, TracebenchError, unknownNameMessage} from '../common/errors.js'
import {parseYamlFile} from '../common/yaml-file.js'
import type {Precision} from '../cost/types.js'
import {
  catalogFileSchema,
  entryNamePattern,
  type CatalogFile,
  type HardwareEntry,
  type LinkEntry,
  type ModelEntry,
  type PrecisionEntry,
} from './catalog-schema.js'

export type {SourcedNumber} from './catalog-schema.js'

/** A catalog entry with the name it is looked up by and the file it came from. */
export type HardwareSpec = HardwareEntry & {name: string; file: string}
export type ModelSpec = ModelEntry & {name: string; file: string}
export type LinkSpec = LinkEntry & {name: string; file: string}
export type PrecisionSpec = PrecisionEntry & {name: Precision; file: string}

export interface Catalog {
  /** The files merged into this catalog, built-in ones first. */
  readonly files: readonly string[]
  hardware(name: string): HardwareSpec
  /** Looks a model up by name or alias (`llama-3.1-70b` resolves to `llama-3.3-70b`). */
  model(name: string): ModelSpec
  link(name: string): LinkSpec
  precision(name: Precision): PrecisionSpec
  hasHardware(name: string): boolean
  hasModel(name: string): boolean
  hasLink(name: string): boolean
  listHardware(): HardwareSpec[]
  listModels(): ModelSpec[]
  listLinks(): LinkSpec[]
  hardwareNames(): string[]
  modelNames(): string[]
  linkNames(): string[]
}

export interface LoadCatalogOptions {
  /** User catalog files (YAML), merged after the built-in ones; an entry with an existing name replaces it. */
  extraFiles?: string[]
}

/**
 * Built-in catalogs are read at run time from the source folder, so the same path works from
 * `src/` (vitest) and from `dist/` (the built CLI): both sit two levels below the package root.
 */
export const builtInCatalogFiles: readonly string[] = ['hardware.yaml', 'models.yaml', 'links.yaml'].map((file) =>
  fileURLToPath(new URL(`../../src/catalogs/${file}`, import.meta.url)),
)

let builtInCatalog: Catalog | undefined
let builtInContent: ParsedCatalogFile[] | undefined

/** A catalog file after parsing and validation: plain data. */
export interface ParsedCatalogFile {
  file: string
  content: CatalogFile
}

/** Loads and validates the built-in catalogs plus any user files. The built-in-only catalog is cached. */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  const extraFiles = options.extraFiles ?? []
  if (extraFiles.length === 0 && builtInCatalog !== undefined) return builtInCatalog
  const extra = extraFiles.map((file) => resolve(file)).map((file) => ({file, content: readCatalogFile(file)}))
  const catalog = buildCatalog([...parsedBuiltInCatalog(), ...extra])
  if (extraFiles.length === 0) builtInCatalog = catalog
  return catalog
}

/**
 * The built-in catalog files, parsed and validated once per thread. A pool hands them to
 * its worker threads (useParsedBuiltInCatalog), which then skip the YAML and validation
 * (a sixth of a worker's start-up).
 */
export function parsedBuiltInCatalog(): ParsedCatalogFile[] {
  builtInContent ??= builtInCatalogFiles.map((file) => ({file, content: readCatalogFile(file)}))
  return builtInContent
}

/** Installs the built-in catalog files as another thread parsed them (see parsedBuiltInCatalog). */
export function useParsedBuiltInCatalog(files: ParsedCatalogFile[]): void {
  builtInContent = files
  builtInCatalog = buildCatalog(files)
}

/** Builds a catalog from already-parsed files (used by tests and by loadCatalog). */
export function buildCatalog(files: readonly ParsedCatalogFile[]): Catalog {
  const hardware = new Map<string, HardwareSpec>()
  const models = new Map<string, ModelSpec>()
  const links = new Map<string, LinkSpec>()
  const precisions = new Map<string, PrecisionSpec>()
  for (const {file, content} of files) {
    for (const [name, entry] of Object.entries(content.hardware ?? {})) hardware.set(name, {...entry, name, file})
    for (const [name, entry] of Object.entries(content.models ?? {})) models.set(name, {...entry, name, file})
    for (const [name, entry] of Object.entries(content.links ?? {})) links.set(name, {...entry, name, file})
    for (const [name, entry] of Object.entries(content.precisions ?? {})) precisions.set(name, {...entry, name: name as Precision, file})
  }
  const aliases = collectAliases(models)
  checkReferences(hardware, links, precisions)

  const lookup = <T>(kind: string, map: Map<string, T>, name: string, resolveAlias?: (key: string) => string | undefined): T => {
    const key = name.trim().toLowerCase()
    const found = map.get(key) ?? map.get(resolveAlias?.(key) ?? '')
    if (found === undefined) {
      const valid = [...map.keys()]
      throw new TracebenchError(unknownNameMessage(kind, name, valid), {code: 'UNKNOWN_NAME'})
    }
    return found
  }
  const sorted = <T extends {name: string}>(map: Map<string, T>) => [...map.values()].sort((a, b) => a.name.localeCompare(b.name))

  return {
    files: files.map((entry) => entry.file),
    hardware: (name) => lookup('hardware', hardware, name),
    model: (name) => lookup('model', models, name, (key) => aliases.get(key)),
    link: (name) => lookup('link', links, name),
    precision: (name) => lookup('precision', precisions, name),
    hasHardware: (name) => hardware.has(name.trim().toLowerCase()),
    hasModel: (name) => models.has(name.trim().toLowerCase()) || aliases.has(name.trim().toLowerCase()),
    hasLink: (name) => links.has(name.trim().toLowerCase()),
    listHardware: () => sorted(hardware),
    listModels: () => sorted(models),
    listLinks: () => sorted(links),
    hardwareNames: () => sorted(hardware).map((entry) => entry.name),
    modelNames: () => sorted(models).map((entry) => entry.name),
    linkNames: () => sorted(links).map((entry) => entry.name),
  }
}

/** Reads, parses and validates one catalog file; errors name the file, the entry and the field. */
export function readCatalogFile(file: string): CatalogFile {
  const shown = displayPath(file)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`${shown}: cannot read catalog file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const raw = parseYamlFile(text, shown).value
  const parsed = catalogFileSchema.safeParse(raw ?? {}, {reportInput: true})
  if (!parsed.success) throw new ConfigError(formatCatalogIssue(shown, parsed.error.issues[0]!))
  for (const section of ['hardware', 'models', 'links', 'precisions'] as const) {
    for (const name of Object.keys(parsed.data[section] ?? {})) {
      if (!entryNamePattern.test(name))
        throw new ConfigError(`${shown}: ${name}: invalid entry name (use lower-case letters, digits, ".", "_" and "-")`)
    }
  }
  for (const name of Object.keys(parsed.data.precisions ?? {})) {
    if (!['bf16', 'fp8', 'fp4'].includes(name)) throw new ConfigError(`${shown}: ${name}: unknown precision; valid precision names: bf16, fp4, fp8`)
  }
  return parsed.data
}

/**
 * `src/catalogs/hardware.yaml: h100-sxm: memoryBandwidthBytesPerS: expected a positive number, got "fast"`.
 * The `.value` of a `{value, source}` pair is dropped so the field reads as the user wrote it.
 */
export function formatCatalogIssue(shownFile: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String)
  const parts: string[] = [shownFile]
  if (path.length === 0) {
    parts.push(issue.code === 'unrecognized_keys' ? `unknown section ${issue.keys.map((key) => JSON.stringify(key)).join(', ')} (valid sections: hardware, models, links, precisions)` : issue.message)
    return parts.join(': ')
  }
  if (path.length === 1) {
    parts.push(`${path[0]}: ${issue.message}`)
    return parts.join(': ')
  }
  parts.push(path[1]!)
  const field = path.slice(2)
  if (field.at(-1) === 'value') field.pop()
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}` : issue.message
  if (field.length > 0) parts.push(field.join('.'))
  parts.push(message)
  return parts.join(': ')
}

function collectAliases(models: Map<string, ModelSpec>): Map<string, string> {
  const aliases = new Map<string, string>()
  for (const model of models.values()) {
    for (const alias of model.aliases) {
      const key = alias.toLowerCase()
      const clash = models.has(key) ? key : aliases.get(key)
      if (clash !== undefined && clash !== model.name)
        throw new ConfigError(`${displayPath(model.file)}: ${model.name}: aliases: "${alias}" is already the name or an alias of model "${clash}"`)
      aliases.set(key, model.name)
    }
  }
  return aliases
}

function checkReferences(hardware: Map<string, HardwareSpec>, links: Map<string, LinkSpec>, precisions: Map<string, PrecisionSpec>): void {
  for (const name of ['bf16', 'fp8', 'fp4']) {
    if (!precisions.has(name)) throw new ConfigError(`catalog: precisions: ${name}: missing (required)`)
  }
  for (const entry of hardware.values()) {
    for (const field of ['scaleUpLink', 'scaleOutLink'] as const) {
      const linkName = entry[field]
      if (linkName !== undefined && !links.has(linkName))
        throw new ConfigError(`${displayPath(entry.file)}: ${entry.name}: ${field}: ${unknownNameMessage('link', linkName, [...links.keys()])}`)
    }
    if (entry.kind === 'wafer' && entry.decodeLayerLatencyUs === undefined)
      throw new ConfigError(`${displayPath(entry.file)}: ${entry.name}: decodeLayerLatencyUs: missing (required for wafer-scale hardware)`)
  }
}

function displayPath(file: string): string {
  const shown = relative(process.cwd(), file)
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown
}
