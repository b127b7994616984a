import {existsSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'
import type {EndpointJobOptions} from '../replay/run-replay.js'
import {TracebenchError} from '../common/errors.js'
import {InterruptedError} from '../common/interrupt.js'
import {findDifference} from '../metrics/merge.js'
import {readResultsFile} from '../metrics/results-file.js'
import {verifyResults} from '../metrics/verify-results.js'
import {existingRunError, type ExistingOutputMode} from './existing-output.js'
import {checkOutputPaths} from '../common/output-path.js'
import {writeResultsFile, type ResultsFile} from '../metrics/results-file.js'
import {canonicalSloList, parseSlos} from '../metrics/slo.js'
import type {FootprintTarget} from './footprint-target.js'
import {buildPointJob, formatScaleForFile, type PointCommon} from './point-job.js'
import {copyFootprint, summarizePoint} from './point-summary.js'
import {createReplayPool, RunStoppedError, type ReplayPool} from './pool.js'
import {checkTraceArgument, prepareBackends, type PreparedBackend} from './prepare-backends.js'
import {selectShard, type ShardSpec} from './shard.js'
import type {TraceReadSettings} from '../traces/read-trace.js'
import {describeReadSettings} from '../traces/read-settings.js'
import {formatSweepTables} from './sweep-table.js'
import {buildSweepIndex, readSweepIndex, sweepIndexFileName, writeSweepIndex, type SweepIndex, type SweepPoint, type SweepSpec} from './sweep-index.js'

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
  /** When the output folder already holds this index: refuse (default), resume or overwrite it. */
  existing?: ExistingOutputMode
  /** Aborting it (Ctrl-C) stops the sweep: finished points stay listed, and InterruptedError is thrown. */
  signal?: AbortSignal
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
  // Every file this sweep writes, checked before the first replay: none may be an input.
  checkOutputPaths(
    [
      {path: options.outDir, kind: 'directory', flag: '--out'},
      {path: join(options.outDir, sweepIndexFileName(options.shard ?? null)), kind: 'file', flag: '--out'},
      ...mine.map((p) => ({path: join(options.outDir, sweepPointFile(p.backend.label, p.rateScale)), kind: 'file' as const, flag: '--out'})),
    ],
    [options.trace, ...options.backends, ...(options.catalogFiles ?? [])],
  )

  const shard = options.shard ?? null
  const indexFile = join(options.outDir, sweepIndexFileName(shard))
  // Points an earlier run into this folder finished (--resume), by index.
  const done = await takeOverSweepIndex(indexFile, spec, options.existing ?? 'refuse', options.outDir)
  const todo = mine.filter((p) => !done.has(p.index))

  // Each point's file and the index are written as the point finishes, so an interrupted
  // sweep keeps every finished point; writes are chained so the index never lags a file.
  let writes = Promise.resolve()
  const writeIndex = (complete: boolean): Promise<void> => {
    const points = [...done.values()].map((d) => d.point)
    return writeSweepIndex(indexFile, buildSweepIndex({command: options.argv ?? [], spec, shard, points, complete}))
  }
  const keep = (planned: PlannedPoint, results: ResultsFile): Promise<void> => {
    const file = sweepPointFile(planned.backend.label, planned.rateScale)
    return (writes = writes.then(async () => {
      await writeResultsFile(join(options.outDir, file), results)
      done.set(planned.index, {point: describeSweepPoint(planned.index, planned.backend.spec, planned.rateScale, file, results), results})
      await writeIndex(false)
    }))
  }
  try {
    await pool.run(
      todo.map((p) => buildPointJob(common, p.backend, p.rateScale)),
      (progress) => {
        const point = todo[progress.jobIndex] as PlannedPoint
        options.onProgress?.({done: progress.done + mine.length - todo.length, total: mine.length, backend: point.backend.label, rateScale: point.rateScale})
        return keep(point, progress.results)
      },
      {signal: options.signal},
    )
  } catch (error) {
    await writes
    if (!(error instanceof RunStoppedError)) throw error
    await writeIndex(false)
    throw new InterruptedError(`kept ${done.size} of ${mine.length} point${mine.length === 1 ? '' : 's'} in ${options.outDir} (listed in ${indexFile}); no partial file was left`, [
      'run the same command again with --resume to finish the sweep, or with --overwrite to start again',
    ])
  }
  await writes
  await writeIndex(true)
  const ordered = [...done.values()].sort((a, b) => a.point.index - b.point.index)
  const index = buildSweepIndex({command: options.argv ?? [], spec, shard, points: ordered.map((d) => d.point)})
  return {outDir: options.outDir, indexFile, index, results: ordered.map((d) => d.results), table: formatSweepTables(index)}
}

/**
 * What an earlier run left in the folder, by the mode asked for: nothing (no index, or
 * --overwrite: the files it lists are removed), a refusal (the default), or its finished
 * points (--resume: same specification required; every kept point's results file is
 * read back and verified, and one that is missing or altered is run again).
 */
async function takeOverSweepIndex(indexFile: string, spec: SweepSpec, mode: ExistingOutputMode, outDir: string): Promise<Map<number, {point: SweepPoint; results: ResultsFile}>> {
  const kept = new Map<number, {point: SweepPoint; results: ResultsFile}>()
  if (!existsSync(indexFile)) return kept
  if (mode === 'refuse') {
    const old = await readSweepIndex(indexFile).catch(() => null)
    const state = old === null ? 'a sweep index' : `a sweep (${old.points.length} of ${old.shard === null ? old.pointCount : 'its'} points${old.complete === false ? ', interrupted' : ''})`
    throw existingRunError(indexFile, state)
  }
  const old = await readSweepIndex(indexFile)
  if (mode === 'overwrite') {
    for (const point of old.points) await rm(join(outDir, point.file), {force: true})
    await rm(indexFile, {force: true})
    return kept
  }
  const difference = findDifference(old.spec, spec, 'spec')
  if (difference !== null) {
    throw new TracebenchError(
      `cannot resume ${indexFile}: ${difference.path} differs (the folder's sweep: ${JSON.stringify(difference.a)}, now: ${JSON.stringify(difference.b)}); --overwrite starts again`,
      {code: 'OUTPUT_EXISTS'},
    )
  }
  for (const point of old.points) {
    const path = join(outDir, point.file)
    try {
      const results = verifyResults(await readResultsFile(path), path)
      if (results.trace.rateScale === point.rateScale) kept.set(point.index, {point, results})
    } catch {
      // Missing or altered: the point runs again.
    }
  }
  return kept
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
