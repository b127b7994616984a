import {existsSync, readFileSync, statSync} from 'node:fs'
import {dirname, isAbsolute, relative, resolve} from 'node:path'
import type {Document, LineCounter} from 'yaml'
import type {z} from 'zod'
import {listPresetNames, loadBackendConfig, looksLikeBackendFile} from '../backends/load-backend.js'
import {isEndpointSpec} from '../http/endpoint-config.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {ConfigError, TracebenchError, unknownNameMessage} from '../common/errors.js'
import {parseYamlFile} from '../common/yaml-file.js'
import {parseMetricRef, parseSlo, type MetricRef, type Slo} from '../metrics/slo.js'
import {
  claimsFileSchema,
  type ClaimInput,
  type ClaimMetric,
  type FootprintUnit,
  type KvBandwidthSensitivityInput,
  type SensitivityInput,
  type WorkloadInput,
} from './claims-schema.js'

/**
 * Loads a claims file: YAML syntax, then the schema (zod), then the names it refers to
 * (workloads, backends, models, trace files, SLOs), all before any replay starts. Every
 * error names the file and line, the claim (index and id) and the field:
 *
 *   claims/x.yaml:41: claims[2] (capacity-5x): subject: unknown backend "gpu-h1000"; valid backend names: cs3, ...
 */

export interface ResolvedWorkload {
  name: string
  description: string | null
  /** `trace`: a file; `synthesized`: generated from `synthesize` when the claims run. */
  kind: 'trace' | 'synthesized'
  /** Absolute path of the trace file (null for a synthesized workload until it is written). */
  path: string | null
  /** As written in the claims file (for reports). */
  pathAsWritten: string | null
  synthesize: WorkloadInput['synthesize'] | null
  limit: number | null
  optional: boolean
  /** False when an optional trace file is missing: claims on it are inconclusive. */
  available: boolean
}

export type ResolvedMetric =
  | (Extract<ClaimMetric, {kind: 'capacity'}> & {parsedSlos: Slo[]; footprintPer: FootprintUnit | null; footprintMatch: string | null})
  | (Extract<ClaimMetric, {kind: 'decode-speed'}>)
  | (Extract<ClaimMetric, {kind: 'ttft' | 'tpot' | 'e2e'}> & {ref: MetricRef})
  | Extract<ClaimMetric, {kind: 'tokens-per-query'}>

export interface ResolvedClaim {
  id: string
  claim: string
  source: string
  note: string | null
  workloads: string[]
  claimedOn: string[]
  /** Canonical catalog name (aliases resolved). */
  model: string
  /** Backend preset name or absolute backend file path; null for tokens-per-query. */
  subject: string | null
  baseline: string | null
  baselineWorkload: string | null
  /** Per-workload backends (resolved like subject/baseline), for the workloads that have one. */
  overrides: Record<string, ResolvedBackends>
  metric: ResolvedMetric
  expect: {ratio?: number; value?: number}
  tolerance: number
  /** A row with a larger share of failed requests on either side is inconclusive. */
  maxFailedRatio: number
  gate: boolean
  seed: number
  sensitivity: SensitivityInput | null
  kvBandwidthSensitivity: KvBandwidthSensitivityInput | null
}

/** The subject and baseline a claim measures on one workload. */
export interface ResolvedBackends {
  subject: string | null
  baseline: string | null
}

export interface ClaimsFile {
  /** As given on the command line. */
  path: string
  title: string
  description: string | null
  workloads: Record<string, ResolvedWorkload>
  claims: ResolvedClaim[]
}

export const defaultClaimsModel = 'llama-3.3-70b'
export const defaultClaimsSeed = 1
/**
 * 1%: a value measured while more requests than this failed (a context larger than the
 * KV capacity, say) describes a configuration that cannot serve the workload, not the claim.
 */
export const defaultMaxFailedRatio = 0.01

/** The backends of a claim on one workload: its override there, else its subject and baseline. */
export function selectBackends(claim: Pick<ResolvedClaim, 'subject' | 'baseline' | 'overrides'>, workload: string): ResolvedBackends {
  return claim.overrides[workload] ?? {subject: claim.subject, baseline: claim.baseline}
}

export function loadClaimsFile(path: string): ClaimsFile {
  if (!existsSync(path)) throw new TracebenchError(`${path}: claims file not found`, {code: 'CLAIMS_NOT_FOUND'})
  if (statSync(path).isDirectory()) throw new TracebenchError(`${path}: is a directory, expected a claims YAML file`, {code: 'CLAIMS_NOT_FOUND'})
  return parseClaimsText(readFileSync(path, 'utf8'), path)
}

/** Parses and validates claims YAML; `path` names the file in errors and anchors relative paths. */
export function parseClaimsText(text: string, path: string): ClaimsFile {
  const {document, lineCounter, value: raw} = parseYamlFile(text, path)
  const located = createLocator(path, document, lineCounter, raw)
  const parsed = claimsFileSchema.safeParse(raw ?? {}, {reportInput: true})
  if (!parsed.success) throw new ConfigError(formatSchemaIssue(located, raw, parsed.error.issues[0]!))
  const input = parsed.data
  const baseDir = dirname(resolve(path))
  const catalog = loadCatalog()

  const workloads: Record<string, ResolvedWorkload> = {}
  for (const [name, w] of Object.entries(input.workloads)) {
    const at = ['workloads', name]
    let absolute: string | null = null
    let available = true
    if (w.trace !== undefined) {
      absolute = isAbsolute(w.trace) ? w.trace : resolve(baseDir, w.trace)
      if (!existsSync(absolute)) {
        if (!w.optional) {
          throw new ConfigError(located([...at, 'trace'], `unknown trace: file not found: ${shownPath(absolute)}`), [
            'trace paths are relative to the claims file; mark a workload `optional: true` when its trace may be absent',
          ])
        }
        available = false
      }
    }
    workloads[name] = {
      name,
      description: w.description ?? null,
      kind: w.trace !== undefined ? 'trace' : 'synthesized',
      path: absolute,
      pathAsWritten: w.trace ?? null,
      synthesize: w.synthesize ?? null,
      limit: w.limit ?? null,
      optional: w.optional,
      available,
    }
  }
  const workloadNames = Object.keys(workloads)

  const ids = new Set<string>()
  const presets = listPresetNames()
  const claims = input.claims.map((claim, index): ResolvedClaim => {
    const at = (...field: (string | number)[]) => ['claims', index, ...field]
    const fail = (field: (string | number)[], message: string, suggestions: string[] = []): never => {
      throw new ConfigError(located(at(...field), message), suggestions)
    }
    if (ids.has(claim.id)) fail(['id'], `duplicate claim id "${claim.id}"`)
    ids.add(claim.id)
    const checkWorkload = (name: string, field: (string | number)[]) => {
      if (!(name in workloads)) fail(field, `unknown workload "${name}"; valid workload names: ${workloadNames.sort().join(', ')}`)
    }
    claim.workloads.forEach((name, i) => checkWorkload(name, ['workloads', i]))
    if (new Set(claim.workloads).size !== claim.workloads.length) fail(['workloads'], 'a workload is listed twice')
    const claimedOn = claim.claimedOn ?? claim.workloads
    claimedOn.forEach((name, i) => {
      if (!claim.workloads.includes(name)) fail(['claimedOn', i], `"${name}" is not one of this claim's workloads (${claim.workloads.join(', ')})`)
    })

    const modelName = claim.model ?? input.defaults.model ?? defaultClaimsModel
    if (!catalog.hasModel(modelName)) fail([claim.model === undefined ? 'id' : 'model'], unknownNameMessage('model', modelName, catalog.modelNames()))
    const model = catalog.model(modelName).name

    const metric = resolveMetric(claim, fail)
    const isTrace = claim.metric.kind === 'tokens-per-query'
    const resolveSpec = (spec: string, field: (string | number)[]): string => {
      // Real endpoints (issue 11): a URL, or an endpoint file (kind: openai) relative to the claims file.
      const endpointFile = /^https?:\/\//i.test(spec) ? spec : isAbsolute(spec) ? spec : resolve(baseDir, spec)
      if (isEndpointSpec(endpointFile)) {
        if (claim.metric.kind === 'decode-speed') fail(field, `decode-speed claims are read from the cost model; ${spec} is a real endpoint (use a capacity or latency claim)`)
        return endpointFile
      }
      if (looksLikeBackendFile(spec)) {
        const file = isAbsolute(spec) ? spec : resolve(baseDir, spec)
        try {
          loadBackendConfig(file)
        } catch (error) {
          if (error instanceof TracebenchError) fail(field, `backend file ${spec}: ${error.message}`)
          throw error
        }
        return file
      }
      if (!presets.includes(spec)) {
        fail(field, unknownNameMessage('backend', spec, presets), ['a backend is a preset name (see `tracebench backends list`) or a YAML file relative to the claims file'])
      }
      return spec
    }
    const resolveBackend = (field: 'subject' | 'baseline'): string | null => {
      const spec = claim[field]
      if (spec === undefined) return null
      if (isTrace) fail([field], `tokens-per-query compares workloads, not backends: remove ${field}${field === 'baseline' ? ' and use baselineWorkload' : ''}`)
      return resolveSpec(spec, [field])
    }
    const subject = resolveBackend('subject')
    const baseline = resolveBackend('baseline')
    const overrides: Record<string, ResolvedBackends> = {}
    for (const [workload, override] of Object.entries(claim.overrides ?? {})) {
      const at = (...field: string[]) => ['overrides', workload, ...field]
      if (isTrace) fail(['overrides'], 'tokens-per-query compares workloads, not backends: remove overrides')
      if (!claim.workloads.includes(workload)) fail(at(), `"${workload}" is not one of this claim's workloads (${claim.workloads.join(', ')})`)
      if (override.baseline !== undefined && claim.baseline === undefined) fail(at('baseline'), 'this claim has no baseline to replace')
      overrides[workload] = {
        subject: override.subject === undefined ? subject : resolveSpec(override.subject, at('subject')),
        baseline: override.baseline === undefined ? baseline : resolveSpec(override.baseline, at('baseline')),
      }
    }
    if (isTrace) {
      if (claim.expect.ratio !== undefined && claim.baselineWorkload === undefined) fail(['baselineWorkload'], 'missing (required): a ratio claim on tokens per query compares with a baseline workload')
      if (claim.baselineWorkload !== undefined) checkWorkload(claim.baselineWorkload, ['baselineWorkload'])
    } else {
      if (subject === null) fail(['subject'], 'missing (required): the backend the claim is about')
      if (claim.expect.ratio !== undefined && baseline === null) fail(['baseline'], 'missing (required): a ratio claim compares the subject with a baseline backend')
      if (claim.baselineWorkload !== undefined) fail(['baselineWorkload'], 'only tokens-per-query compares workloads; use baseline for a backend')
    }
    if (claim.sensitivity !== undefined) {
      if (isTrace) fail(['sensitivity'], 'a sensitivity sweep needs backends to compare; tokens-per-query has none')
      if (claim.expect.ratio === undefined) fail(['sensitivity'], 'a sensitivity sweep follows a ratio; this claim expects an absolute value')
      if (!claim.workloads.includes(claim.sensitivity.workload)) {
        fail(['sensitivity', 'workload'], `"${claim.sensitivity.workload}" is not one of this claim's workloads (${claim.workloads.join(', ')})`)
      }
    }
    if (claim.kvBandwidthSensitivity !== undefined) {
      const sweep = claim.kvBandwidthSensitivity
      if (isTrace || claim.expect.ratio === undefined) fail(['kvBandwidthSensitivity'], 'a KV bandwidth sweep follows the ratio of two backends; this claim has none')
      if (!claim.workloads.includes(sweep.workload)) {
        fail(['kvBandwidthSensitivity', 'workload'], `"${sweep.workload}" is not one of this claim's workloads (${claim.workloads.join(', ')})`)
      }
      const swept = overrides[sweep.workload]?.subject ?? subject
      if (swept !== null && (isEndpointSpec(swept) || loadBackendConfig(swept).kind !== 'disaggregated')) {
        fail(['kvBandwidthSensitivity'], `the subject on ${sweep.workload} (${swept}) has no KV link: only a disaggregated backend moves KV between pools`)
      }
    }
    return {
      id: claim.id,
      claim: claim.claim,
      source: claim.source,
      note: claim.note ?? null,
      workloads: claim.workloads,
      claimedOn,
      model,
      subject,
      baseline,
      baselineWorkload: claim.baselineWorkload ?? null,
      overrides,
      metric,
      expect: claim.expect,
      tolerance: claim.tolerance ?? input.defaults.tolerance ?? 0,
      maxFailedRatio: claim.maxFailedRatio ?? input.defaults.maxFailedRatio ?? defaultMaxFailedRatio,
      gate: claim.gate,
      seed: input.defaults.seed ?? defaultClaimsSeed,
      sensitivity: claim.sensitivity ?? null,
      kvBandwidthSensitivity: claim.kvBandwidthSensitivity ?? null,
    }
  })
  return {path, title: input.title, description: input.description ?? null, workloads, claims}
}

function resolveMetric(claim: ClaimInput, fail: (field: (string | number)[], message: string) => never): ResolvedMetric {
  const m = claim.metric
  switch (m.kind) {
    case 'capacity': {
      const parsedSlos = m.slos.map((expression, i) => {
        try {
          return parseSlo(expression)
        } catch (error) {
          if (error instanceof TracebenchError) return fail(['metric', 'slos', i], error.message)
          throw error
        }
      })
      if (parsedSlos.length === 0 && m.minUserSpeed === undefined) fail(['metric', 'slos'], 'a capacity needs at least one SLO or a minUserSpeed floor')
      return {...m, parsedSlos, footprintPer: m.footprint?.per ?? null, footprintMatch: m.footprint?.match?.replace(/\s+/g, '') ?? null}
    }
    case 'ttft':
    case 'tpot':
    case 'e2e': {
      let ref: MetricRef
      try {
        ref = parseMetricRef(`${m.kind}.${m.stat}`)
      } catch (error) {
        if (error instanceof TracebenchError) return fail(['metric', 'stat'], error.message.replace(/^invalid SLO "[^"]*": /, ''))
        throw error
      }
      if (ref.aggregation === 'count') fail(['metric', 'stat'], 'count is not a latency; use a percentile or mean')
      return {...m, ref}
    }
    default:
      return m
  }
}

type Locate = (path: (string | number)[], message: string) => string

/** `file:line: claims[2] (id): field.path: message`, the line found from the YAML node when it exists. */
function createLocator(file: string, document: Document, lineCounter: LineCounter, raw: unknown): Locate {
  return (path, message) => {
    let line: number | undefined
    for (let n = path.length; n > 0 && line === undefined; n--) {
      const node = document.getIn(path.slice(0, n), true) as {range?: [number, number, number]} | undefined
      if (node !== undefined && node !== null && typeof node === 'object' && Array.isArray(node.range)) line = lineCounter.linePos(node.range[0]).line
    }
    return `${file}${line === undefined ? '' : `:${line}`}: ${describePath(path, raw)}${message}`
  }
}

function describePath(path: (string | number)[], raw: unknown): string {
  if (path.length === 0) return ''
  if (path[0] === 'claims' && typeof path[1] === 'number') {
    const claim = (raw as {claims?: unknown[]} | null)?.claims?.[path[1]] as {id?: unknown} | undefined
    const id = typeof claim?.id === 'string' ? ` (${claim.id})` : ''
    const rest = formatFieldPath(path.slice(2))
    return `claims[${path[1]}]${id}: ${rest === '' ? '' : `${rest}: `}`
  }
  return `${formatFieldPath(path)}: `
}

function formatFieldPath(path: (string | number)[]): string {
  let out = ''
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`
  return out
}

function formatSchemaIssue(locate: Locate, raw: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((key) => (typeof key === 'number' ? key : String(key)))
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys
    return locate([...path, keys[0]!], `unknown field${keys.length > 1 ? `s ${keys.join(', ')}` : ''} (valid fields: ${validFieldsHint(path)})`)
  }
  // zod reports a bad union member at the union; say which metric kinds exist.
  return locate(path, issue.message)
}

function validFieldsHint(path: (string | number)[]): string {
  // claims[i].overrides.<workload>: the key is a workload name, not a field.
  if (path[0] === 'claims' && path[2] === 'overrides' && path.length === 4) return 'subject, baseline'
  const last = [...path].reverse().find((k) => typeof k === 'string')
  switch (last) {
    case undefined:
      return 'version, title, description, defaults, workloads, claims'
    case 'claims':
      return 'id, claim, source, note, workloads, claimedOn, model, subject, baseline, baselineWorkload, overrides, metric, expect, tolerance, maxFailedRatio, gate, sensitivity, kvBandwidthSensitivity'
    case 'metric':
      return 'kind, and for capacity: slos, minUserSpeed, footprint, precision; decode-speed: method, rateScale; ttft/tpot/e2e: stat, rateScale; tokens-per-query: count, per'
    case 'expect':
      return 'ratio, value'
    case 'footprint':
      return 'per, match'
    case 'sensitivity':
      return 'workload, vary, factors'
    case 'defaults':
      return 'model, seed, tolerance, maxFailedRatio'
    case 'synthesize':
      return 'kind, requests, seed, ratePerS, turnsPerSession'
    default:
      return path[0] === 'workloads' ? 'description, trace, synthesize, limit, optional' : 'see docs/claims.md'
  }
}

function shownPath(file: string): string {
  const shown = relative(process.cwd(), file)
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown
}
