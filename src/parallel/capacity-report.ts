import {readdirSync, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {z} from 'zod'
import {writeFileAtomic} from '../common/atomic-write.js'
import {checkOutputPaths} from '../common/output-path.js'
import {TracebenchError} from '../common/errors.js'
import {readTextFile} from '../common/read-text-file.js'
import {findDifference} from '../metrics/merge.js'
import {formatIssues, readToolInfo, traceReadSchema} from '../metrics/results-file.js'
import {describeReadSettings} from '../traces/read-settings.js'
import {canonicalSloList} from '../metrics/slo.js'
import {validateSearchSettings, type SearchSettings} from './bracket-search.js'
import {
  buildCapacitySlos,
  readCapacityTraceShape,
  searchBackend,
  searchSettingsOf,
  steadyStateSettingsOf,
  type CapacityOptions,
  type CapacityProgress,
  type CapacityResult,
} from './capacity-search.js'
import {footprintUnits, type FootprintTarget} from './footprint-target.js'
import {InterruptedError} from '../common/interrupt.js'
import {CapacityPointStore} from './capacity-progress.js'
import type {ExistingOutputMode} from './existing-output.js'
import {createReplayPool, RunStoppedError, type ReplayPool} from './pool.js'
import {checkTraceArgument, prepareBackends} from './prepare-backends.js'
import {formatShard, selectShard, type ShardSpec} from './shard.js'
import {traceReadWarnings} from '../replay/trace-read-warnings.js'

/**
 * `tracebench capacity` over several backends: one search per backend, all sharing the
 * worker pool (their rounds interleave, each search's points stay its own), written to
 * `capacity.json`. Shards split by backend (backend k runs in shard k mod n) because the
 * rounds of one search depend on each other; `capacity --merge-dir` joins shard files.
 */
export const capacitySchemaId = 'tracebench.capacity'
export const capacitySchemaVersion = 1

const specSchema = z.strictObject({
  trace: z.string(),
  backends: z.array(z.string()),
  model: z.string().nullable(),
  seed: z.number().int(),
  limit: z.number().int().nullable(),
  slo: z.array(z.string()),
  minUserSpeed: z.number().nullable(),
  precision: z.number(),
  footprint: z.strictObject({unit: z.enum(footprintUnits), value: z.number()}).nullable(),
  search: z.strictObject({startScale: z.number(), minScale: z.number(), maxScale: z.number(), pointsPerRound: z.number().int()}),
  // Steady-state settings of every point (replay/steady-state.ts; warmupS null: automatic). Optional: older files have none.
  steadyState: z
    .strictObject({minWindowS: z.number(), warmupS: z.number().nullable(), maxRequests: z.number().int(), minDeliveredRatio: z.number()})
    .optional(),
  // The reader flags the trace was read with (issue 13). Optional: older files have none.
  read: traceReadSchema.shape.settings.optional(),
})

const reportSchema = z.strictObject({
  schema: z.literal(capacitySchemaId),
  schemaVersion: z.literal(capacitySchemaVersion),
  tool: z.strictObject({name: z.string(), version: z.string()}),
  command: z.array(z.string()),
  spec: specSchema,
  shard: z.strictObject({index: z.number().int(), count: z.number().int()}).nullable(),
  // CapacityResult objects (documented in capacity-search.ts and docs/parallel.md).
  results: z.array(z.looseObject({backendSpec: z.string(), status: z.enum(['found', 'not-reachable', 'lower-bound', 'too-short'])})),
})

export type CapacitySpec = z.infer<typeof specSchema>

export interface CapacityReport {
  schema: typeof capacitySchemaId
  schemaVersion: typeof capacitySchemaVersion
  tool: {name: string; version: string}
  command: string[]
  spec: CapacitySpec
  /** The shard this file covers, or null for all backends. */
  shard: ShardSpec | null
  /** One result per backend, in the order the backends were given. */
  results: CapacityResult[]
}

export interface CapacitySearchesOptions extends Omit<CapacityOptions, 'backend' | 'onProgress' | 'store'> {
  backends: string[]
  shard?: ShardSpec | null
  argv?: string[]
  /** When the output folder already holds a search: refuse (default), resume or overwrite it. */
  existing?: ExistingOutputMode
  onProgress?: (progress: CapacityProgress) => void
}

export function capacityFileName(shard: ShardSpec | null): string {
  return shard === null ? 'capacity.json' : `capacity.shard-${shard.index}-of-${shard.count}.json`
}

/** Runs the capacity search of every backend of this shard and writes the report (when outDir is set). */
export async function runCapacitySearches(options: CapacitySearchesOptions): Promise<{report: CapacityReport; file: string | null; readWarnings: string[]}> {
  // Threads start first: they load their modules while this thread validates the input.
  const pool: ReplayPool = options.pool ?? createReplayPool({workers: options.workers})
  let results: CapacityResult[]
  let readWarnings: string[]
  let store: CapacityPointStore | undefined
  let slos: string[]
  let settings: SearchSettings
  try {
    slos = buildCapacitySlos(options.slos ?? [], options.minUserSpeed)
    checkTraceArgument(options.trace)
    settings = searchSettingsOf(options)
    validateSearchSettings(settings)
    steadyStateSettingsOf(options)
    const prepared = prepareBackends(options.backends, {model: options.model, footprint: options.footprint ?? null, catalogFiles: options.catalogFiles})
    const mine = selectShard(prepared, options.shard).map(({item}) => item)
    if (options.outDir !== undefined && options.outDir !== null) {
      checkOutputPaths(
        [
          {path: options.outDir, kind: 'directory', flag: '--out'},
          {path: join(options.outDir, capacityFileName(options.shard ?? null)), kind: 'file', flag: '--out'},
        ],
        [options.trace, ...options.backends, ...(options.catalogFiles ?? [])],
      )
    }
    store =
      options.outDir === undefined || options.outDir === null
        ? undefined
        : await CapacityPointStore.open({
            outDir: options.outDir,
            finalFile: join(options.outDir, capacityFileName(options.shard ?? null)),
            shard: options.shard ?? null,
            spec: buildCapacitySpec(options, slos, settings),
            command: options.argv ?? [],
            mode: options.existing ?? 'refuse',
            readFinal: readEvaluatedPoints,
          })
    // One pass over the trace plans the tiles of every backend's points.
    const shape = mine.length === 0 ? null : await readCapacityTraceShape(options)
    const searches = mine.map((backend) => searchBackend({...options, backend: backend.spec, store}, backend, slos, pool, shape!))
    let details
    try {
      details = await Promise.all(searches)
    } catch (error) {
      if (!(error instanceof RunStoppedError) || store === undefined) throw error
      // The other searches may still be writing a point: wait, so that no file is left half-made.
      await Promise.allSettled(searches)
      await store.settle()
      throw new InterruptedError(`kept ${store.size} evaluated point${store.size === 1 ? '' : 's'} in ${store.outDir} (listed in ${store.progressFile}); no partial file was left`, [
        'run the same command again with --resume to finish the search (finished points are not replayed), or with --overwrite to start again',
      ])
    }
    results = details.map((d) => d.result)
    // Every point read the same file with the same settings: one point says what the reader did.
    readWarnings = traceReadWarnings(details.flatMap((d) => {
      const point = d.lastPassing ?? d.firstFailing
      return point === null ? [] : [point]
    }))
  } finally {
    if (options.pool === undefined) await pool.close()
  }
  const shard = options.shard ?? null
  const report = buildCapacityReport(options.argv ?? [], buildCapacitySpec(options, slos, settings), shard, results)
  let file: string | null = null
  if (options.outDir !== undefined && options.outDir !== null) {
    file = join(options.outDir, capacityFileName(shard))
    await writeCapacityReport(file, report)
    await store?.finish()
  }
  return {report, file, readWarnings}
}

export function buildCapacitySpec(options: CapacitySearchesOptions, slos: string[], settings: SearchSettings): CapacitySpec {
  const footprint: FootprintTarget | null = options.footprint ?? null
  return {
    trace: options.trace,
    backends: [...options.backends],
    model: options.model ?? null,
    seed: options.seed ?? 1,
    limit: options.limit ?? null,
    slo: canonicalSloList(slos),
    minUserSpeed: options.minUserSpeed ?? null,
    precision: settings.precision,
    footprint: footprint === null ? null : {unit: footprint.unit, value: footprint.value},
    search: {startScale: settings.startScale, minScale: settings.minScale, maxScale: settings.maxScale, pointsPerRound: settings.pointsPerRound},
    steadyState: {...steadyStateSettingsOf(options)},
    ...(options.read === undefined ? {} : {read: describeReadSettings(options.read)}),
  }
}

/** The points a finished capacity.json lists, for --resume and --overwrite. */
async function readEvaluatedPoints(path: string): Promise<{spec: unknown; points: Array<{backendSpec: string; rateScale: number; file: string}>}> {
  const report = await readCapacityReport(path)
  const points = report.results.flatMap((r) => (r.evaluations ?? []).flatMap((e) => (e.file === null ? [] : [{backendSpec: r.backendSpec, rateScale: e.rateScale, file: e.file}])))
  return {spec: report.spec, points}
}

function buildCapacityReport(command: string[], spec: CapacitySpec, shard: ShardSpec | null, results: CapacityResult[]): CapacityReport {
  return {schema: capacitySchemaId, schemaVersion: capacitySchemaVersion, tool: readToolInfo(), command: [...command], spec, shard, results}
}

export async function writeCapacityReport(path: string, report: CapacityReport): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`)
}

export async function readCapacityReport(path: string): Promise<CapacityReport> {
  const text = await readTextFile(path, 'capacity file', 'INVALID_CAPACITY')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new TracebenchError(`${path}: not valid JSON (${(error as Error).message})`, {code: 'INVALID_CAPACITY'})
  }
  if (typeof data !== 'object' || data === null || (data as {schema?: unknown}).schema !== capacitySchemaId) {
    throw new TracebenchError(`${path}: not a tracebench capacity file (expected "schema": "${capacitySchemaId}")`, {code: 'INVALID_CAPACITY'})
  }
  const version = (data as {schemaVersion?: unknown}).schemaVersion
  if (version !== capacitySchemaVersion) {
    throw new TracebenchError(`${path}: schemaVersion ${JSON.stringify(version)} is not supported; this tracebench reads capacity schemaVersion ${capacitySchemaVersion}`, {
      code: 'INVALID_CAPACITY',
    })
  }
  const parsed = reportSchema.safeParse(data)
  if (!parsed.success) throw new TracebenchError(`${path}: invalid capacity file: ${formatIssues(parsed.error.issues)}`, {code: 'INVALID_CAPACITY'})
  return parsed.data as unknown as CapacityReport
}

const shardFilePattern = /^capacity\.shard-\d+-of-\d+\.json$/

/** Joins `capacity --shard i/n` outputs (directories or files) into one report; refuses mixed or missing shards. */
export async function mergeCapacityShards(inputs: string[], outDir: string | null, argv: string[] = []): Promise<{report: CapacityReport; file: string | null}> {
  const files = [...new Set(inputs.flatMap(findShardFiles).map((f) => resolve(f)))]
  const reports: Array<{file: string; report: CapacityReport}> = []
  for (const file of files) reports.push({file, report: await readCapacityReport(file)})
  if (reports.length === 0) throw new TracebenchError('no capacity shard files to merge', {code: 'MERGE_MISMATCH'})
  const first = reports[0] as {file: string; report: CapacityReport}
  const seen = new Map<number, string>()
  for (const {file, report} of reports) {
    if (report.shard === null) throw new TracebenchError(`${file}: is the capacity file of a whole run, not of a shard; nothing to merge`, {code: 'MERGE_MISMATCH'})
    for (const [path, a, b] of [
      ['spec', first.report.spec, report.spec],
      ['tool', first.report.tool, report.tool],
      ['shard.count', first.report.shard?.count, report.shard.count],
    ] as const) {
      const diff = findDifference(a, b, path)
      if (diff !== null) {
        throw new TracebenchError(`cannot merge capacity shards: ${diff.path} differs (${first.file}: ${JSON.stringify(diff.a)}, ${file}: ${JSON.stringify(diff.b)})`, {
          code: 'MERGE_MISMATCH',
        })
      }
    }
    const other = seen.get(report.shard.index)
    if (other !== undefined) throw new TracebenchError(`shard ${formatShard(report.shard)} is given twice (${other} and ${file})`, {code: 'MERGE_MISMATCH'})
    seen.set(report.shard.index, file)
  }
  const count = first.report.shard?.count ?? 1
  const missing = Array.from({length: count}, (_, i) => i).filter((i) => !seen.has(i))
  if (missing.length > 0) {
    throw new TracebenchError(`cannot merge capacity shards: missing shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')}`, {
      code: 'MERGE_MISMATCH',
    })
  }
  if (outDir !== null) {
    // Point files travel with the merged report, so that its relative paths resolve.
    for (const {file, report} of reports) {
      for (const result of report.results) {
        for (const evaluation of result.evaluations) {
          if (evaluation.file === null) continue
          const source = join(dirname(file), evaluation.file)
          const target = join(outDir, evaluation.file)
          if (resolve(source) === resolve(target)) continue
          let text: string
          try {
            text = await readFile(source, 'utf8')
          } catch {
            throw new TracebenchError(`${file}: ${result.backendSpec} x${evaluation.rateScale}: results file ${source} not found`, {code: 'MERGE_MISMATCH'})
          }
          await writeFileAtomic(target, text)
        }
      }
    }
  }
  const order = first.report.spec.backends
  const results = reports.flatMap((r) => r.report.results).sort((a, b) => order.indexOf(a.backendSpec) - order.indexOf(b.backendSpec))
  const report = buildCapacityReport(argv, first.report.spec, null, results)
  let file: string | null = null
  if (outDir !== null) {
    file = join(outDir, capacityFileName(null))
    await writeCapacityReport(file, report)
  }
  return {report, file}
}

function findShardFiles(input: string): string[] {
  let isDirectory: boolean
  try {
    isDirectory = statSync(input).isDirectory()
  } catch {
    throw new TracebenchError(`${input}: not found (expected a shard's output directory or its capacity.shard-<i>-of-<n>.json)`, {code: 'MERGE_MISMATCH'})
  }
  if (!isDirectory) return [input]
  const files = readdirSync(input)
    .filter((name) => shardFilePattern.test(name))
    .sort()
    .map((name) => join(input, name))
  if (files.length === 0) throw new TracebenchError(`${input}: holds no capacity shard file (capacity.shard-<i>-of-<n>.json)`, {code: 'MERGE_MISMATCH'})
  return files
}
