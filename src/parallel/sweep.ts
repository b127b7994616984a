import {join} from 'node:path'
import type {EndpointJobOptions} from '../replay/run-replay.js'
import {writeResultsFile, type ResultsFile} from '../metrics/results-file.js'
import {canonicalSloList, parseSlos} from '../metrics/slo.js'
import type {FootprintTarget} from './footprint-target.js'
import {buildPointJob, formatScaleForFile, type PointCommon} from './point-job.js'
import {copyFootprint, summarizePoint} from './point-summary.js'
import {createReplayPool, type ReplayPool} from './pool.js'
import {checkTraceArgument, prepareBackends, type PreparedBackend} from './prepare-backends.js'
import {selectShard, type ShardSpec} from './shard.js'
import type {TraceReadSettings} from '../traces/read-trace.js'
import {describeReadSettings} from '../traces/read-settings.js'
import {formatSweepTables} from './sweep-table.js'
import {buildSweepIndex, sweepIndexFileName, writeSweepIndex, type SweepIndex, type SweepPoint, type SweepSpec} from './sweep-index.js'

export interface SweepOptions {
  /** Trace file or `synth:` spec. */
  trace: string
  /** Preset names or backend files, in the order of the output. */
  backends: string[]
  /** Arrival-rate scales, in the order of the output. */
  rateScales: number[]
  model?: string
  /** SLO expressions (goodput and the pass/fail column); parsed before any replay. */
  slos?: string[]
  limit?: number
  /** Default 1. */
  seed?: number
  /** Scale every backend's pools to this footprint first (`racks=4`). */
  footprint?: FootprintTarget | null
  outDir: string
  /** Run only this shard's points (point k belongs to shard k mod n). */
  shard?: ShardSpec | null
  /** A pool to reuse (not closed); otherwise one is created with `workers` and closed. */
  pool?: ReplayPool
  workers?: number
  /** argv of the sweep, recorded in the index. */
  argv?: string[]
  catalogFiles?: string[]
  /** The reader flags for the trace file. */
  read?: TraceReadSettings
  onProgress?: (progress: SweepProgress) => void
  /** Real endpoints (issue 11): endpoint flags and harness options for endpoint backends. */
  http?: EndpointJobOptions
}

export interface SweepProgress {
  done: number
  total: number
  backend: string
  rateScale: number
}

export interface SweepResult {
  outDir: string
  /** The index written: `index.json`, or `index.shard-<i>-of-<n>.json` for a shard. */
  indexFile: string
  index: SweepIndex
  /** The results of this run's points, in index order (same order as `index.points`). */
  results: ResultsFile[]
  /** One table per backend: load, throughput, goodput, p90 TTFT, p90 TPOT, per-user speed. */
  table: string
}

interface PlannedPoint {
  index: number
  backend: PreparedBackend
  rateScale: number
}

/**
 * Replays every (backend, rate scale) point of a sweep on the worker pool and writes one
 * results file per point (`<outDir>/<backend>/x<scale>.json`) plus the index. Points are
 * numbered backend-major in the order given; the numbers do not depend on the worker
 * count or the shard, because each point is an independent, seeded replay.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  // Threads start first: they load their modules while this thread validates the input.
  const pool = options.pool ?? createReplayPool({workers: options.workers})
  try {
    return await sweepOnPool(options, pool)
  } finally {
    if (options.pool === undefined) await pool.close()
  }
}

async function sweepOnPool(options: SweepOptions, pool: ReplayPool): Promise<SweepResult> {
  const slos = options.slos ?? []
  parseSlos(slos)
  checkTraceArgument(options.trace)
  const footprint = options.footprint ?? null
  const backends = prepareBackends(options.backends, {model: options.model, footprint, catalogFiles: options.catalogFiles})
  const spec = buildSweepSpec(options, footprint)
  const common: PointCommon = {trace: options.trace, model: options.model, limit: options.limit, seed: spec.seed, slos, catalogFiles: options.catalogFiles, http: options.http, read: options.read}

  const all: PlannedPoint[] = []
  for (const backend of backends) for (const rateScale of options.rateScales) all.push({index: all.length, backend, rateScale})
  const mine = selectShard(all, options.shard).map(({item}) => item)

  const results = await pool.run(
    mine.map((p) => buildPointJob(common, p.backend, p.rateScale)),
    options.onProgress === undefined
      ? undefined
      : (progress) => {
          const point = mine[progress.jobIndex] as PlannedPoint
          options.onProgress?.({done: progress.done, total: progress.total, backend: point.backend.label, rateScale: point.rateScale})
        },
  )

  const points: SweepPoint[] = []
  for (let i = 0; i < mine.length; i++) {
    const planned = mine[i] as PlannedPoint
    const file = sweepPointFile(planned.backend.label, planned.rateScale)
    await writeResultsFile(join(options.outDir, file), results[i] as ResultsFile)
    points.push(describeSweepPoint(planned.index, planned.backend.spec, planned.rateScale, file, results[i] as ResultsFile))
  }
  const shard = options.shard ?? null
  const index = buildSweepIndex({command: options.argv ?? [], spec, shard, points})
  const indexFile = join(options.outDir, sweepIndexFileName(shard))
  await writeSweepIndex(indexFile, index)
  return {outDir: options.outDir, indexFile, index, results, table: formatSweepTables(index)}
}

export function buildSweepSpec(options: SweepOptions, footprint: FootprintTarget | null): SweepSpec {
  return {
    trace: options.trace,
    backends: [...options.backends],
    rateScales: [...options.rateScales],
    model: options.model ?? null,
    seed: options.seed ?? 1,
    limit: options.limit ?? null,
    slos: canonicalSloList(options.slos ?? []),
    footprint: footprint === null ? null : {unit: footprint.unit, value: footprint.value},
    ...(options.read === undefined ? {} : {read: describeReadSettings(options.read)}),
  }
}

/** Where a point's results file goes, relative to the sweep's directory. */
export function sweepPointFile(label: string, rateScale: number): string {
  return `${label}/${formatScaleForFile(rateScale)}.json`
}

export function describeSweepPoint(index: number, backend: string, rateScale: number, file: string, results: ResultsFile): SweepPoint {
  return {
    index,
    backend,
    backendName: results.backend.name,
    model: results.backend.model,
    rateScale,
    file,
    footprint: copyFootprint(results.backend.footprint),
    summary: summarizePoint(results),
  }
}
