import {loadCatalog} from '../catalogs/load-catalog.js'
import type {EndpointOverrides} from '../http/endpoint-config.js'
import type {HarnessOptions} from '../http/endpoint-flags.js'
import {TracebenchError} from '../common/errors.js'
import type {BackendConfig} from '../backends/backend-config.js'
import {loadBackendConfig, validateBackendConfig} from '../backends/load-backend.js'
import {createSimBackend} from '../backends/registry.js'
import {resolveBackend, type ResolvedBackend} from '../backends/resolve-backend.js'
import {MetricsRecorder} from '../metrics/recorder.js'
import {buildResultsFile, type ResultsFile, type TraceReadRecord} from '../metrics/results-file.js'
import {parseSlos} from '../metrics/slo.js'
import {readTrace, type TraceReadSettings, type TraceReadStats} from '../traces/read-trace.js'
import {describeReadSettings} from '../traces/read-settings.js'
import {synthesizeTraceBatches} from '../traces/synthesize-trace.js'
import type {TraceFormat} from '../traces/trace-record.js'
import {batchesFromAsync, type RecordBatches} from './arrivals.js'
import {cacheWhileReading, openCachedTrace, traceCacheKey} from './parsed-trace-cache.js'
import {ReplayRun, type ReplayRunResult} from './replay-run.js'
import {RequestsLogWriter} from './requests-log.js'
import {describeSteadyState, isSustained, limitRecords, measureTraceShape, planSteadyState, tileRecords, validateSteadyStateSettings, type SteadyStatePlan, type SteadyStateSettings, type TileCounts, type TraceShape} from './steady-state.js'
import {defaultSynthRequests, describeTraceSpec, parseTraceSpec, type TraceSpec} from './trace-spec.js'

/**
 * Everything one replay needs, as plain serializable data (no functions, no class
 * instances): the parallel layer sends it to worker threads as is.
 */
export interface ReplayOptions {
  /** A trace file path, a `synth:KIND?requests=N&rate=R` spec, or a parsed spec. */
  trace: string | TraceSpec
  /** A preset name, a backend file path, or an inline backend configuration (validated like a file). */
  backend: string | Record<string, unknown> | BackendConfig
  /** Model for every pool (catalog name or alias); default: the backend's. */
  model?: string
  /** Arrival-rate multiplier (> 0); default 1. */
  rateScale?: number
  /** Replay only the first N requests. */
  limit?: number
  /** Seed for synthesized traces and random routing; default 1. */
  seed?: number
  /** SLO expressions for goodput, e.g. `ttft.p90<=2s` (per-request checks). */
  slos?: string[]
  /** Multiply pool replicas: every pool (a number) or named pools (`{prefill: 2}`). */
  poolScale?: number | Record<string, number>
  /** Set named pools' replicas (`{decode: 3}`), after poolScale. */
  poolReplicas?: Record<string, number>
  /** Per-request log, `.csv` or `.jsonl`. */
  requestsOut?: string
  /** The command line, recorded in the results file for provenance. */
  argv?: string[]
  /** Trace format override (default: detected from content). */
  traceFormat?: TraceFormat
  /** Skip malformed trace rows instead of stopping. */
  skipInvalid?: boolean
  /** The other reader flags (--strict, --include-failed, --reorder-window); `format` and `skipInvalid` above win. */
  read?: TraceReadSettings
  /** Extra catalog files (hardware, models, links) merged over the built-in ones. */
  catalogFiles?: string[]
  /** Real endpoints (issue 11): when `backend` is an endpoint, its flags and the harness options (the pool runs such points one at a time). */
  http?: EndpointJobOptions
  /**
   * Measure a steady state (capacity points): tile the trace to the warm-up plus the
   * window, score only requests arriving in the window, and compare delivered with offered
   * requests/s (replay/steady-state.ts). Absent: the whole trace once, every request scored.
   */
  steadyState?: SteadyStateSettings
}

/** What a sweep or capacity point against a real endpoint needs beyond a simulated one. */
export interface EndpointJobOptions {
  overrides?: EndpointOverrides
  harness?: HarnessOptions
}

/** Callbacks that stay in the calling thread (not part of the serializable options). */
export interface ReplayHooks {
  onProgress?: (finishedRequests: number) => void
  /** Let the event loop run (setImmediate) every this many simulated events: a replay in a thread that also serves others. */
  yieldEveryEvents?: number
}

export interface ReplayDetails {
  results: ResultsFile
  run: ReplayRunResult
  backend: ResolvedBackend
}

/** Replays a trace against a simulated backend and returns the (validated) results file. */
export async function runReplay(options: ReplayOptions, hooks: ReplayHooks = {}): Promise<ResultsFile> {
  return (await runReplayDetailed(options, hooks)).results
}

/** As runReplay, plus engine statistics (events handled, iterations) for benchmarks and diagnostics. */
export async function runReplayDetailed(options: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplayDetails> {
  // Validate everything before any work starts.
  const rateScale = checkRateScale(options.rateScale ?? 1)
  const limit = checkLimit(options.limit)
  const seed = options.seed ?? 1
  if (!Number.isSafeInteger(seed)) throw new TracebenchError(`--seed: expected an integer, got ${seed}`)
  const sloTexts = options.slos ?? []
  const slos = parseSlos(sloTexts)
  const catalog = loadCatalog({extraFiles: options.catalogFiles})
  const config =
    typeof options.backend === 'string' ? loadBackendConfig(options.backend) : validateBackendConfig(options.backend, 'inline backend', nameOf(options.backend))
  const backend = resolveBackend(config, catalog, {model: options.model, poolScale: options.poolScale, poolReplicas: options.poolReplicas})
  const spec = typeof options.trace === 'string' ? parseTraceSpec(options.trace) : options.trace
  const open = () => openRecords(spec, seed, options)
  const opened = open()
  // What the reader did, and the file's hash, come from the first pass (the whole trace, or up to --limit).
  const {format, read, sha256} = opened
  let batches = opened.records.batches
  let steady: SteadyReplay | null = null
  if (options.steadyState !== undefined) {
    steady = await planSteadyReplay(describeTraceSpec(spec).path, batches, options.steadyState, rateScale, limit)
    // The first pass read the trace (and cached it when it fits); each tile opens it again.
    const tiled = tileRecords(() => open().records.batches, steady.plan, rateScale, limit)
    steady.counts = tiled.counts
    batches = tiled.batches
  }

  const window = steady === null ? undefined : {startUs: steady.plan.windowStartUs, endUs: steady.plan.windowEndUs}
  const recorder = new MetricsRecorder({slos, scoreWindow: window})
  const log = options.requestsOut === undefined ? undefined : await RequestsLogWriter.open(options.requestsOut)
  let run: ReplayRunResult
  try {
    const replay = new ReplayRun({
      records: batches,
      // Tiles apply the limit to each repetition of the trace.
      arrivals: {rateScale, limit: steady === null ? limit : undefined},
      seed,
      sink: recorder,
      createBackend: (host) => createSimBackend(backend, host),
      log,
      onProgress: hooks.onProgress,
      yieldEveryEvents: hooks.yieldEveryEvents,
      scoreWindow: window,
      // A load already not sustained when its window ends fails whatever its latencies: stop instead of draining the backlog.
      onWindowEnd: steady === null ? undefined : () => !isSustained(steady, recorder.window.delivered),
    })
    run = await replay.run()
    await log?.commit()
  } catch (error) {
    await log?.abort()
    throw error
  }
  if (run.records === 0) throw new TracebenchError(`${describeTraceSpec(spec).path}: the trace has no requests to replay`)

  const snapshot = recorder.finish(window ?? {startUs: run.startUs, endUs: run.endUs})
  const described = describeTraceSpec(spec)
  // The trace's own span (arrivals as written in the trace, before --rate-scale and before tiling).
  const shape = steady?.shape ?? {records: run.records, sessions: run.sessions, firstArrivalUs: run.firstArrivalUs, lastArrivalUs: run.lastArrivalUs}
  const durationS = (shape.lastArrivalUs - shape.firstArrivalUs) / 1e6
  const offeredRatePerS = durationS > 0 ? (shape.records / durationS) * rateScale : null
  const results = buildResultsFile({
    command: options.argv ?? [],
    seed,
    trace: {
      path: described.path,
      name: described.name,
      format: format(),
      requests: shape.records,
      sessions: shape.sessions,
      durationS,
      rateScale,
      offeredRatePerS,
      limit: limit ?? null,
      sha256: await sha256(),
      read: read(),
      summary: {
        inputTokensMean: run.inputTokens / run.records,
        outputTokensMean: run.outputTokens / run.records,
        ratePerS: durationS > 0 ? shape.records / durationS : null,
        replayedRatePerS: offeredRatePerS,
      },
    },
    backend: describeBackend(backend),
    slos: sloTexts,
    snapshot,
    steadyState:
      steady === null ? undefined : describeSteadyState(steady, run, recorder.window, snapshot.window.durationS, snapshot.counters.completed + snapshot.counters.failed),
  })
  return {results, run, backend}
}

/** The shape of a trace (after --limit) for steady-state planning; reads it once (and caches it, on this thread, when it fits). */
export async function readTraceShape(options: Pick<ReplayOptions, 'trace' | 'seed' | 'limit' | 'traceFormat' | 'skipInvalid' | 'read'>): Promise<TraceShape> {
  const spec = typeof options.trace === 'string' ? parseTraceSpec(options.trace) : options.trace
  const limit = checkLimit(options.limit)
  return measureTraceShape(limitRecords(openRecords(spec, options.seed ?? 1, options).records.batches, limit))
}

interface SteadyReplay {
  settings: SteadyStateSettings
  shape: TraceShape
  plan: SteadyStatePlan
  counts: TileCounts
}

/** Reads the trace once for its shape and plans the tiles and window; refuses a trace that cannot be made long enough. */
async function planSteadyReplay(path: string, batches: RecordBatches, settings: SteadyStateSettings, rateScale: number, limit: number | undefined): Promise<SteadyReplay> {
  validateSteadyStateSettings(settings)
  const shape = await measureTraceShape(limitRecords(batches, limit))
  if (shape.records === 0) throw new TracebenchError(`${path}: the trace has no requests to replay`)
  const planned = planSteadyState(shape, rateScale, settings)
  if ('tooShort' in planned) throw new TracebenchError(`${path}: cannot measure a steady state: ${planned.tooShort}`, {code: 'TRACE_TOO_SHORT'})
  return {settings, shape, plan: planned.plan, counts: {offered: 0}}
}

interface OpenedRecords {
  records: {batches: RecordBatches}
  format: () => string
  /** What the reader did with the rows (null for a synthesized trace), once the replay ended. */
  read: () => TraceReadRecord | null
  sha256: () => Promise<string | null>
}

export function openRecords(spec: TraceSpec, seed: number, options: Partial<ReplayOptions>): OpenedRecords {
  if ('path' in spec) {
    const settings: TraceReadSettings = {...options.read, format: spec.format ?? options.traceFormat ?? options.read?.format, skipInvalid: options.skipInvalid ?? options.read?.skipInvalid}
    // Sweeps and capacity searches replay one file many times per thread: parse it once.
    const key = traceCacheKey(spec.path, settings)
    const cached = key === undefined ? undefined : openCachedTrace(key)
    if (cached !== undefined) {
      const {info} = cached
      return {records: {batches: cached.batches}, format: () => info.format, read: () => info.read, sha256: async () => info.sha256}
    }
    const reader = readTrace(spec.path, settings)
    const format = (): string => reader.stats.format ?? 'unknown'
    const read = (): TraceReadRecord => describeRead(reader.stats, settings)
    const batches = batchesFromAsync(reader.batches())
    const describe = async () => ({format: format(), read: read(), sha256: await reader.digest()})
    return {records: {batches: key === undefined ? batches : cacheWhileReading(key, batches, describe)}, format, read, sha256: () => reader.digest()}
  }
  const synth = spec.synth
  const batches = synthesizeTraceBatches({
    kind: synth.kind,
    seed: synth.seed ?? seed,
    requests: synth.requests ?? defaultSynthRequests,
    ratePerS: synth.ratePerS,
    turnsPerSession: synth.turnsPerSession,
  })
  return {records: {batches}, format: () => 'synth', read: () => null, sha256: async () => null}
}

/** The results file's record of what the reader did with the rows. */
function describeRead(stats: TraceReadStats, settings: TraceReadSettings): TraceReadRecord {
  return {
    settings: describeReadSettings(settings),
    compressed: stats.compressed,
    rowsRead: stats.rowsRead,
    rowsSkipped: stats.rowsSkipped,
    skippedExamples: [...stats.skippedExamples],
    failedRowsExcluded: stats.failedRowsExcluded,
    failedRowsIncluded: stats.failedRowsIncluded,
    reorderedRows: stats.reorderedRows,
    zeroOutputRows: stats.zeroOutputRows,
    complete: stats.complete,
  }
}

/** The results file's backend section: name, model, footprint and the resolved configuration. */
export function describeBackend(backend: ResolvedBackend): ResultsFile['backend'] {
  const f = backend.footprint
  return {
    name: backend.config.name,
    kind: 'simulated',
    model: backend.model,
    description: backend.config.description,
    footprint: {systems: f.systems, chips: f.chips, racks: f.racks, rackFraction: f.rackFraction, kW: f.kW, usdPerHour: f.usdPerHour},
    config: {
      ...backend.config,
      resolved: Object.fromEntries(
        backend.pools.map((pool) => [
          pool.name,
          {
            deployment: pool.cost.deployment,
            chipsPerReplica: pool.cost.chipsPerReplica,
            replicas: pool.config.replicas,
            kvCapacityTokensPerReplica: pool.cost.kvCapacityTokens,
            kvBytesPerToken: pool.cost.kvBytesPerToken,
            footprint: pool.footprint,
            // Wafer pools: whether the decode speed is calibrated, and its range when not (docs/cost-model.md).
            ...(pool.decodeSpeed === null ? {} : {decodeSpeed: pool.decodeSpeed}),
          },
        ]),
      ),
      ...(backend.kvPath === null ? {} : {kvPath: describeKvPath(backend.kvPath)}),
    },
  }
}

/** Rate scales beyond these stretch or squeeze arrival times out of what integer microseconds hold. */
const minRateScale = 1e-6
const maxRateScale = 1e6

/** The KV path as JSON: unbounded ingress and no timeout are null (JSON has no Infinity). */
function describeKvPath(path: NonNullable<ResolvedBackend['kvPath']>): Record<string, unknown> {
  const finiteOrNull = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? null : value)
  return {...path, ingressBytesPerS: finiteOrNull(path.ingressBytesPerS), ...(path.timeoutUs === undefined ? {} : {timeoutUs: finiteOrNull(path.timeoutUs)})}
}

function checkRateScale(rateScale: number): number {
  if (!(typeof rateScale === 'number' && Number.isFinite(rateScale) && rateScale > 0)) {
    throw new TracebenchError(`--rate-scale: expected a positive number (1 = the trace's own rate), got ${rateScale}`)
  }
  if (rateScale < minRateScale || rateScale > maxRateScale) {
    throw new TracebenchError(`--rate-scale: expected a number from ${minRateScale} to ${maxRateScale} (1 = the trace's own rate), got ${rateScale}`)
  }
  return rateScale
}

function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined
  if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new TracebenchError(`--limit: expected a positive integer number of requests, got ${limit}`)
  return limit
}

function nameOf(backend: Record<string, unknown> | BackendConfig): string {
  const name = (backend as {name?: unknown}).name
  return typeof name === 'string' && name !== '' ? name : 'inline'
}
