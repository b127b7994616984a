import {readdir, readFile, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {z} from 'zod'
import {claimsReportSchemaId, claimsReportSchemaVersion, type ClaimsReport} from '../claims/claims-report.js'
import {TracebenchError} from '../common/errors.js'
import {comparisonSchemaId, validateComparisonFile} from '../compare/comparison-file.js'
import {formatIssues, readResultsFile, resultsSchemaId, validateResults} from '../metrics/results-file.js'
import {capacitySchemaId, readCapacityReport, type CapacityReport} from '../parallel/capacity-report.js'
import {formatFootprint} from '../parallel/footprint-target.js'
import {sweepIndexSchemaId, validateSweepIndex, type SweepIndex} from '../parallel/sweep-index.js'
import type {ReportCapacity, ReportInputs, ReportSweep} from './report-inputs.js'

/** What one command-line argument turned out to be, for the command's summary and --json. */
export interface CollectedSource {
  path: string
  kind: 'results' | 'sweep' | 'claims' | 'capacity' | 'comparison'
  /** Results files it contributed (1 for a results file, the points of a sweep). */
  resultsFiles: number
}

export interface CollectedInputs {
  inputs: ReportInputs
  sources: CollectedSource[]
}

const collectErrorCode = 'INVALID_REPORT_INPUT'

function inputError(message: string): TracebenchError {
  return new TracebenchError(message, {code: collectErrorCode})
}

/**
 * Loads everything `tracebench report` is given, in argument order: results files,
 * sweep indexes (`index.json`, or its folder), `claims.json` (or the `claims --out`
 * folder), `capacity.json` (or the `capacity --out` folder), and folders of results
 * files. A folder with an index.json, claims.json or capacity.json stands for those
 * files only (their own results files are many and referenced from them); any other
 * folder stands for the results files directly in it. Every file is validated; errors
 * name the file and the field.
 */
export async function collectReportInputs(paths: readonly string[], options: {title?: string; command?: string[]} = {}): Promise<CollectedInputs> {
  if (paths.length === 0) throw inputError('report needs at least one results file, sweep folder, claims.json or capacity.json')
  const inputs: ReportInputs = {runs: [], sweeps: [], capacity: []}
  if (options.title !== undefined) inputs.title = options.title
  if (options.command !== undefined) inputs.command = options.command
  const sources: CollectedSource[] = []
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw inputError(error.code === 'ENOENT' ? `${path}: no such file or folder` : `${path}: cannot read: ${error.message}`)
    })
    const files = info.isDirectory() ? await listFolderInputs(path) : [path]
    for (const file of files) sources.push(await addFile(file, inputs))
  }
  return {inputs, sources}
}

async function listFolderInputs(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort()
  const markers = ['claims.json', 'index.json', 'capacity.json'].filter((n) => names.includes(n))
  if (markers.length > 0) return markers.map((n) => join(dir, n))
  const json = names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))
  const results: string[] = []
  for (const name of json) {
    const file = join(dir, name)
    if ((await stat(file)).isFile() && (await readSchemaId(file)) === resultsSchemaId) results.push(file)
  }
  if (results.length === 0) {
    throw inputError(`${dir}: no results files, index.json, claims.json or capacity.json in this folder`)
  }
  return results
}

async function readJson(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw inputError(`${path}: cannot read: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw inputError(`${path}: not valid JSON (${(error as Error).message})`)
  }
}

async function readSchemaId(path: string): Promise<unknown> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as unknown
    return typeof data === 'object' && data !== null ? (data as {schema?: unknown}).schema : undefined
  } catch {
    // A folder may hold other JSON; only valid tracebench results files are picked up.
    return undefined
  }
}

async function addFile(path: string, inputs: ReportInputs): Promise<CollectedSource> {
  const data = await readJson(path)
  const schema = typeof data === 'object' && data !== null ? (data as {schema?: unknown}).schema : undefined
  switch (schema) {
    case resultsSchemaId:
      inputs.runs?.push({results: validateResults(data, path), path})
      return {path, kind: 'results', resultsFiles: 1}
    case sweepIndexSchemaId: {
      const sweep = await readSweep(path, validateSweepIndex(data, path))
      inputs.sweeps?.push(sweep)
      return {path, kind: 'sweep', resultsFiles: sweep.points.length}
    }
    case claimsReportSchemaId: {
      if (inputs.claims !== undefined) {
        throw inputError(`${path}: a report shows one claims.json, and ${inputs.claims.path ?? 'another'} was given already`)
      }
      inputs.claims = {report: validateClaimsReport(data, path), path}
      return {path, kind: 'claims', resultsFiles: 0}
    }
    case capacitySchemaId: {
      inputs.capacity?.push(...describeCapacity(await readCapacityReport(path), path))
      return {path, kind: 'capacity', resultsFiles: 0}
    }
    case comparisonSchemaId: {
      const file = validateComparisonFile(data, path)
      const c = file.comparison
      inputs.runs?.push({results: file.baseResults, path: c.base.path, label: `BASE ${c.base.backend}`}, {results: file.otherResults, path: c.other.path, label: `OTHER ${c.other.backend}`})
      inputs.comparisons = [...(inputs.comparisons ?? []), {report: c, path}]
      return {path, kind: 'comparison', resultsFiles: 2}
    }
    default:
      throw inputError(`${path}: not a tracebench results file, sweep index, claims.json or capacity.json, nor a comparison from compare --out (its "schema" is ${JSON.stringify(schema ?? null)})`)
  }
}

/** A sweep index and the results file of each of its points (paths relative to the index's folder). */
export async function readSweep(indexPath: string, index: SweepIndex): Promise<ReportSweep> {
  const points = []
  for (const point of index.points) {
    const file = join(dirname(indexPath), point.file)
    points.push({results: await readResultsFile(file), path: file})
  }
  return {path: indexPath, index, points}
}

/**
 * Each backend's capacity search, for the load chart's marks (found and lower bounds only)
 * and the capacity charts (every search, its points and per-footprint figures).
 */
export function describeCapacity(report: CapacityReport, path: string | null): ReportCapacity[] {
  // Results are read loosely (older files lack the per-point and steady-state fields): every field is guarded.
  return report.results.map((r) => ({
    backend: r.backend,
    rateScale: r.rateScale,
    offeredReqPerS: r.lastPassing?.summary?.steadyState?.offeredRequestsPerS ?? null,
    outputTokensPerS: r.outputTokensPerS,
    slos: r.slo,
    lowerBound: r.lowerBound,
    path,
    status: r.status,
    message: r.message,
    highSpeed: r.minUserSpeed !== undefined && r.minUserSpeed !== null,
    perFootprint:
      r.perFootprint === undefined
        ? null
        : {
            rack: r.perFootprint.rack?.outputTokensPerS ?? null,
            kW: r.perFootprint.kW?.outputTokensPerS ?? null,
            system: r.perFootprint.system?.outputTokensPerS ?? null,
            usdPerHour: r.perFootprint.usdPerHour?.outputTokensPerS ?? null,
          },
    footprint: r.footprint === undefined ? null : formatFootprint(r.footprint),
    minDeliveredRatio: r.steadyState?.minDeliveredRatio ?? null,
    command: report.command,
    evaluations: (r.evaluations ?? []).map((e) => ({
      rateScale: e.rateScale,
      offeredReqPerS: e.offeredRequestsPerS ?? null,
      deliveredReqPerS: e.deliveredRequestsPerS ?? null,
      outputTokensPerS: e.outputTokensPerS ?? null,
      goodputOutputTokensPerS: e.goodputOutputTokensPerS ?? null,
      passed: e.passed,
      reasons: e.reasons ?? [],
    })),
  }))
}

/*
 * The fields of claims.json the report reads (docs/claims.md has the whole format).
 * Loose objects: fields added later by the claims stage pass through.
 */
const bound = z.enum(['exact', 'at-least', 'at-most'])
const claimRowSchema = z.looseObject({
  workload: z.string(),
  claimed: z.boolean(),
  gating: z.boolean(),
  verdict: z.string(),
  reason: z.string(),
  measured: z.number().nullable(),
  bound,
  target: z.number(),
  unit: z.string(),
})
const crossingSchema = z.looseObject({inputOutputRatio: z.number(), level: z.number(), direction: z.string()})
const claimsReportSchema = z.looseObject({
  schema: z.literal(claimsReportSchemaId),
  schemaVersion: z.literal(claimsReportSchemaVersion),
  tool: z.looseObject({name: z.string(), version: z.string()}),
  claimsFile: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  passed: z.boolean(),
  exitCode: z.number(),
  counts: z.looseObject({gatingFailures: z.number()}),
  workloads: z.array(
    z.looseObject({
      name: z.string(),
      available: z.boolean(),
      tokens: z.looseObject({inputOutputRatio: z.number().nullable()}).nullable(),
    }),
  ),
  claims: z.array(
    z.looseObject({
      id: z.string(),
      claim: z.string(),
      source: z.string(),
      unit: z.string(),
      expected: z.union([z.looseObject({ratio: z.number()}), z.looseObject({value: z.number()})]),
      rows: z.array(claimRowSchema),
      sensitivity: z
        .looseObject({
          workload: z.string(),
          vary: z.string(),
          points: z.array(z.looseObject({factor: z.number(), inputOutputRatio: z.number(), ratio: z.number().nullable(), bound, verdict: z.string()})),
          breakEven: z.array(crossingSchema),
          claimCrossing: z.array(crossingSchema),
          summary: z.string(),
        })
        .nullable(),
      kvBandwidthSensitivity: z
        .looseObject({
          workload: z.string(),
          link: z.string(),
          defaultFraction: z.number(),
          points: z.array(z.looseObject({fraction: z.number(), achievedBytesPerS: z.number(), ratio: z.number().nullable(), bound, verdict: z.string(), kvTransferTimeouts: z.number()})),
          summary: z.string(),
        })
        .nullable()
        .optional(),
    }),
  ),
})

export function validateClaimsReport(data: unknown, label: string): ClaimsReport {
  const version = (data as {schemaVersion?: unknown}).schemaVersion
  if (version !== claimsReportSchemaVersion) {
    throw inputError(`${label}: claims.json schemaVersion ${JSON.stringify(version)} is not supported; this tracebench reads schemaVersion ${claimsReportSchemaVersion}`)
  }
  const parsed = claimsReportSchema.safeParse(data)
  if (!parsed.success) throw inputError(`${label}: invalid claims.json: ${formatIssues(parsed.error.issues)}`)
  return parsed.data as unknown as ClaimsReport
}
