import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {basename, extname, isAbsolute, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {z} from 'zod'
import {ConfigError, TracebenchError, unknownNameMessage} from '../common/errors.js'
import {parseYamlFile} from '../common/yaml-file.js'
import {aggregatedBackendSchema, backendFileSchema, disaggregatedBackendSchema, type BackendConfig} from './backend-config.js'

/**
 * Built-in presets are read at run time from the source folder, so the same path works
 * from src/ (vitest) and dist/ (the built CLI): both sit two levels below the package root.
 */
export const presetsDirectory = fileURLToPath(new URL('../../src/backends/presets/', import.meta.url))

/** Names of the built-in backend presets (file names without .yaml), sorted. */
export function listPresetNames(): string[] {
  return readdirSync(presetsDirectory)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length))
    .sort()
}

/** True when `spec` names a file rather than a preset (a path separator or a YAML extension). */
export function looksLikeBackendFile(spec: string): boolean {
  return spec.includes('/') || spec.includes('\\') || ['.yaml', '.yml', '.json'].includes(extname(spec).toLowerCase())
}

/** Loads a preset by name or a backend file by path; validates it (unknown fields are errors). */
export function loadBackendConfig(spec: string): BackendConfig {
  if (looksLikeBackendFile(spec)) return readBackendFile(resolve(spec))
  const names = listPresetNames()
  if (!names.includes(spec)) {
    throw new TracebenchError(unknownNameMessage('backend', spec, names), {
      code: 'UNKNOWN_BACKEND',
      suggestions: ['pass a backend file instead: --backend ./my-backend.yaml', 'see `tracebench backends list`'],
    })
  }
  return readBackendFile(`${presetsDirectory}${spec}.yaml`)
}

export function readBackendFile(file: string): BackendConfig {
  const shown = displayPath(file)
  if (!existsSync(file)) throw new TracebenchError(`${shown}: backend file not found`, {code: 'UNKNOWN_BACKEND'})
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`${shown}: cannot read backend file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const {value} = parseYamlFile(text, shown)
  const name = basename(file).replace(/\.(ya?ml|json)$/i, '')
  return validateBackendConfig(value, shown, name)
}

/** Validates an in-memory backend configuration (a parsed file, or one passed inline to runReplay). */
export function validateBackendConfig(raw: unknown, label: string, defaultName = 'custom'): BackendConfig {
  const parsed = backendFileSchema.safeParse(raw ?? {}, {reportInput: true})
  if (!parsed.success) throw new ConfigError(formatBackendIssue(label, raw, parsed.error.issues[0]!))
  return {...parsed.data, name: parsed.data.name ?? defaultName} as BackendConfig
}

/** `backends/x.yaml: pool.scheduler.maxBatch: unknown field (valid fields: ...)`. */
function formatBackendIssue(label: string, raw: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String)
  if (issue.code === 'unrecognized_keys') {
    const where = path.join('.')
    const valid = validKeysAt(raw, path)
    const fields = issue.keys.map((key) => (where === '' ? key : `${where}.${key}`))
    return `${label}: ${fields.join(', ')}: unknown field${valid.length > 0 ? ` (valid fields${where === '' ? '' : ` in ${where}`}: ${valid.join(', ')})` : ''}`
  }
  if (path.length === 0) return `${label}: ${issue.message}`
  return `${label}: ${path.join('.')}: ${issue.message}`
}

function validKeysAt(raw: unknown, path: string[]): string[] {
  const kind = typeof raw === 'object' && raw !== null ? (raw as {kind?: unknown}).kind : undefined
  let schema: z.ZodType | undefined = kind === 'disaggregated' ? disaggregatedBackendSchema : aggregatedBackendSchema
  for (const key of path) {
    schema = unwrap(schema)
    const shape = (schema as {shape?: Record<string, z.ZodType>} | undefined)?.shape
    schema = shape?.[key]
  }
  const shape = (unwrap(schema) as {shape?: Record<string, z.ZodType>} | undefined)?.shape
  return shape === undefined ? [] : Object.keys(shape)
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema
  for (let i = 0; i < 5 && current !== undefined; i++) {
    const def = (current as unknown as {_zod?: {def?: {innerType?: z.ZodType}}})._zod?.def
    if (def?.innerType === undefined) break
    current = def.innerType
  }
  return current
}

function displayPath(file: string): string {
  const shown = relative(process.cwd(), file)
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown
}
