import type {EndpointJobOptions} from '../replay/run-replay.js'
import {join} from 'node:path'
import type {BackendConfig} from '../backends/backend-config.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {writeResultsFile, type Footprint, type ResultsFile} from '../metrics/results-file.js'
import {canonicalSloList, parseSlos} from '../metrics/slo.js'
import {describeBackend, readTraceShape} from '../replay/run-replay.js'
import {
  defaultSteadyStateSettings,
  maxSteadyRateScale,
  untileableReason,
  validateSteadyStateSettings,
  warmupUs,
  type SteadyStateSettings,
  type TraceShape,
} from '../replay/steady-state.js'
import {defaultSearchSettings, runBracketSearch, validateSearchSettings, type Evaluation, type SearchSettings, type SearchStatus} from './bracket-search.js'
import {formatFootprintTarget, type FootprintTarget} from './footprint-target.js'
import {buildPointJob, formatScaleForFile, type PointCommon} from './point-job.js'
import {copyFootprint, summarizePoint, type PointSummary} from './point-summary.js'
import type {CapacityPointStore} from './capacity-progress.js'
import {createReplayPool, type ReplayPool} from './pool.js'
import type {TraceReadSettings} from '../traces/read-trace.js'
import {checkTraceArgument, prepareBackends, type PreparedBackend} from './prepare-backends.js'

/** The per-user speed percentile a `--min-user-speed` floor applies to: 90% of requests decode at least that fast. */
export const minUserSpeedPercentile = 10

export interface CapacityOptions {
  /** Trace file or `synth:` spec. */
  trace: string
  /** Preset name or backend file. */
  backend: string
  model?: string
  /** SLO expressions (`ttft.p90<=2s`); every one must hold at the capacity. */
  slos?: string[]
  /** Per-user decode speed floor in tok/s: adds the SLO `userSpeed.p10>=N`. */
  minUserSpeed?: number
  limit?: number
  /** Default 1. */
  seed?: number
  footprint?: FootprintTarget | null
  /** Relative precision of the answer (default 0.02 = 2%). */
  precision?: number
  /** Search range and shape; defaults in bracket-search.ts (start 1, range 1/1024..1024, 4 points per round). */
  search?: Partial<Omit<SearchSettings, 'precision'>>
  /** Writes every evaluated point's results file as `<outDir>/<backend>/capacity-x<scale>.json`; null: none written. */
  outDir?: string | null
  /** Keeps points as they finish (and reuses those of a resumed search); with it, outDir's files are written through it. */
  store?: CapacityPointStore
  /** Aborting it (Ctrl-C) stops the search: RunStoppedError, with the finished points kept by the store. */
  signal?: AbortSignal
  pool?: ReplayPool
  workers?: number
  catalogFiles?: string[]
  /** The reader flags for the trace file. */
  read?: TraceReadSettings
  onProgress?: (progress: CapacityProgress) => void
  /** Real endpoints (issue 11): endpoint flags and harness options for endpoint backends. */
  http?: EndpointJobOptions
  /** How each point measures a steady state (replay/steady-state.ts); unset fields take defaultSteadyStateSettings. */
  steadyState?: Partial<SteadyStateSettings>
}

export interface CapacityProgress {
  backend: string
  round: number
  /** Points of this backend evaluated so far. */
  evaluated: number
  /** Set once a round ends: the bracket so far (lo passes, hi fails; null where unknown). */
  bracket?: {lo: number | null; hi: number | null}
}

export interface CapacityFigures {
  requestsPerS: number
  outputTokensPerS: number
}

export interface CapacityPoint {
  rateScale: number
  /** Its results file, relative to the output directory, or null when the search wrote none (outDir null). */
  file: string | null
  summary: PointSummary
}

/**
 * `too-short`: the trace cannot be tiled into a steady load at any scale of the search
 * (fewer than two arrivals, all at one instant, or too many requests even at the lowest
 * scale): no capacity is reported.
 */
export type CapacityStatus = SearchStatus | 'too-short'

/** The steady-state settings a search used, the warm-up resolved, and the highest load they allow. */
export interface CapacitySteadyState extends SteadyStateSettings {
  warmupS: number
  /** The highest rate scale at which the trace can be tiled within maxRequests; null when it cannot be tiled. */
  maxRateScale: number | null
}

/**
 * What `tracebench capacity --json` prints per backend (documented in docs/parallel.md).
 * `rateScale`, `requestsPerS` and `outputTokensPerS` are the capacity: measured at
 * `lastPassing`, the highest evaluated load at which every SLO held, with the first
 * failing load at most `precision` above it.
 */
export interface CapacityResult {
  /** The backend's name (from its results files). */
  backend: string
  /** As given: preset name or backend file. */
  backendSpec: string
  model: string
  /** `found`, `not-reachable` (the SLOs fail even at the lowest scale: capacity 0), `lower-bound` or `too-short`. */
  status: CapacityStatus
  /** True when the SLOs still held at the highest scale tried: the figures are a lower bound. */
  lowerBound: boolean
  /**
   * Why a lower bound stopped where it did: `max-scale` (--max-scale) or `trace-length`
   * (the highest load at which the trace can be tiled to the window within maxRequests);
   * null unless status is lower-bound.
   */
  boundedBy: 'max-scale' | 'trace-length' | null
  /** Capacity as a multiple of the trace's arrival rate; 0 when not reachable. */
  rateScale: number
  /** Completed requests/s at the capacity (0 when not reachable). */
  requestsPerS: number
  /**
   * Output tokens/s at the capacity. With a per-user speed floor, the high-speed token
   * capacity: tokens of requests that met every SLO, the floor included (goodput tokens);
   * without one, all output tokens.
   */
  outputTokensPerS: number
  /** All output tokens/s at the capacity, whatever the floor. */
  totalOutputTokensPerS: number
  /** requestsPerS and outputTokensPerS divided by each footprint unit; usdPerHour null without a price. */
  perFootprint: {
    system: CapacityFigures | null
    chip: CapacityFigures | null
    rack: CapacityFigures | null
    kW: CapacityFigures | null
    usdPerHour: CapacityFigures | null
  }
  footprint: Footprint
  /** `--footprint` target and the replicas chosen to meet it, or null. */
  footprintMatch: {target: string; poolReplicas: Record<string, number>} | null
  /** Every SLO checked, canonical, the per-user floor included. */
  slo: string[]
  minUserSpeed: number | null
  /** Which userSpeed percentile the floor applies to (10: 90% of requests at or above it). */
  minUserSpeedPercentile: number
  precision: number
  /** hi / lo - 1 reached (null unless status is found). */
  achievedPrecision: number | null
  lastPassing: CapacityPoint | null
  /** `failedSlos`: the SLOs that failed there; `notSustained`: why the load was not sustained, or null. */
  firstFailing: (CapacityPoint & {failedSlos: string[]; notSustained: string | null}) | null
  /** Every evaluated point in evaluation order, with the rates offered and delivered in its window and why it failed. */
  evaluations: CapacityEvaluation[]
  rounds: number
  /** Some load above the first failing one passed again (noise); the bracket stays below it. */
  nonMonotone: boolean
  /** One line for people: the answer, or why there is none. */
  message: string
  /** How the points measured a steady state; null for a real endpoint (its points are plain wall-clock runs). */
  steadyState: CapacitySteadyState | null
}

export interface CapacityEvaluation {
  rateScale: number
  round: number
  passed: boolean
  file: string | null
  /** Requests/s scheduled to arrive in the point's window, and completed in it. */
  offeredRequestsPerS: number | null
  deliveredRequestsPerS: number | null
  /** Output tokens/s delivered in the window (all requests), and of requests that met every SLO. */
  outputTokensPerS: number | null
  goodputOutputTokensPerS: number | null
  /** Why the point failed (each failing SLO, and the load not being sustained); empty when it passed. */
  reasons: string[]
}

export interface CapacityDetails {
  result: CapacityResult
  lastPassing: ResultsFile | null
  firstFailing: ResultsFile | null
}

/** Builds the SLO list of a capacity search (the floor included) and checks it is not empty. */
export function buildCapacitySlos(slos: readonly string[], minUserSpeed: number | undefined): string[] {
  const all = [...slos]
  if (minUserSpeed !== undefined) {
    if (!(Number.isFinite(minUserSpeed) && minUserSpeed > 0)) {
      throw new TracebenchError(`--min-user-speed: expected a positive number of tokens per second per user, got ${minUserSpeed}`, {code: 'INVALID_SLO'})
    }
    all.push(`userSpeed.p${minUserSpeedPercentile}>=${minUserSpeed}`)
  }
  if (all.length === 0) {
    throw new TracebenchError('a capacity search needs at least one --slo or --min-user-speed (capacity is the highest load at which they hold)', {
      code: 'INVALID_SLO',
    })
  }
  parseSlos(all)
  return all
}

/** The highest rate scale at which every SLO holds, for one backend. */
export async function findCapacity(options: CapacityOptions): Promise<CapacityResult> {
  return (await findCapacityDetailed(options)).result
}

/** As findCapacity, plus the results of the last passing and first failing points. */
export async function findCapacityDetailed(options: CapacityOptions): Promise<CapacityDetails> {
  // Threads start first: they load their modules while this thread validates the input.
  const pool = options.pool ?? createReplayPool({workers: options.workers})
  try {
    const slos = buildCapacitySlos(options.slos ?? [], options.minUserSpeed)
    checkTraceArgument(options.trace)
    validateSearchSettings(searchSettingsOf(options))
    const [backend] = prepareBackends([options.backend], {model: options.model, footprint: options.footprint ?? null, catalogFiles: options.catalogFiles})
    const shape = await readCapacityTraceShape(options)
    return await searchBackend(options, backend as PreparedBackend, slos, pool, shape)
  } finally {
    if (options.pool === undefined) await pool.close()
  }
}

/** The search settings of a capacity search (defaults filled in). */
export function searchSettingsOf(options: Pick<CapacityOptions, 'search' | 'precision'>): SearchSettings {
  return {...defaultSearchSettings, ...options.search, precision: options.precision ?? defaultSearchSettings.precision}
}

/** The steady-state settings of a capacity search (defaults filled in, validated). */
export function steadyStateSettingsOf(options: Pick<CapacityOptions, 'steadyState'>): SteadyStateSettings {
  const settings = {...defaultSteadyStateSettings, ...options.steadyState}
  validateSteadyStateSettings(settings)
  return settings
}

/** One pass over the trace (after --limit), on this thread, for the tiling plan of every point. */
export async function readCapacityTraceShape(options: Pick<CapacityOptions, 'trace' | 'seed' | 'limit' | 'read'>): Promise<TraceShape> {
  return readTraceShape({trace: options.trace, seed: options.seed ?? 1, limit: options.limit, read: options.read})
}

interface PointValue {
  file: string | null
  results: ResultsFile
  /** Why the point failed; empty when it passed. */
  reasons: string[]
}

/**
 * Whether a point passes: every SLO holds on the requests scored in its window, and the
 * load was sustained (delivered >= 95% of offered). The decision alone, apart from how
 * points are dispatched.
 */
export function judgePoint(results: ResultsFile): {passed: boolean; reasons: string[]} {
  const steady = results.steadyState
  const slos = summarizePoint(results).failedSlos
  if (steady === undefined || steady.sustained) return {passed: slos.length === 0, reasons: slos}
  // Not sustained comes first: it decides the point, and a replay stopped at its window's end has partial latencies.
  const partial = steady.stoppedAtWindowEnd ? ' (among the requests finished when the window ended)' : ''
  return {passed: false, reasons: [steady.reason ?? 'not sustained', ...slos.map((r) => r + partial)]}
}

/**
 * Runs the search for an already prepared backend on a given pool (used by findCapacity
 * and the multi-backend runner). Rounds are planned by runBracketSearch from earlier
 * outcomes only; this function dispatches each round's points to the pool and judges them.
 */
export async function searchBackend(options: CapacityOptions, backend: PreparedBackend, slos: string[], pool: ReplayPool, shape: TraceShape): Promise<CapacityDetails> {
  const requested = searchSettingsOf(options)
  // Real endpoints run on the wall clock: their points are plain runs (never tiled), so no steady-state limit applies.
  const steady = backend.config === null ? null : steadyStateSettingsOf(options)
  const maxRateScale = steady === null ? null : maxSteadyRateScale(shape, steady)
  const steadyState: CapacitySteadyState | null = steady === null ? null : {...steady, warmupS: warmupUs(shape, steady) / 1e6, maxRateScale}
  if (steadyState !== null && (maxRateScale === null || maxRateScale < requested.minScale)) {
    return {result: describeTooShort(options, backend, slos, requested, steadyState, shape), lastPassing: null, firstFailing: null}
  }
  // The search stays where the trace can be made long enough; passing there is a lower bound for that reason.
  const settings: SearchSettings = {...requested, maxScale: Math.min(requested.maxScale, maxRateScale ?? Number.POSITIVE_INFINITY)}
  settings.startScale = Math.min(settings.startScale, settings.maxScale)
  const common: PointCommon = {
    trace: options.trace,
    model: options.model,
    limit: options.limit,
    seed: options.seed ?? 1,
    slos,
    catalogFiles: options.catalogFiles,
    http: options.http,
    read: options.read,
    ...(steady === null ? {} : {steadyState: steady}),
  }
  let evaluated = 0
  const store = options.store
  const fileOf = (scale: number): string => `${backend.label}/capacity-${formatScaleForFile(scale)}.json`
  const outcome = await runBracketSearch<PointValue>(settings, async (scales, round) => {
    // Points a resumed search finished earlier are read back, not replayed.
    const fresh = scales.filter((scale) => store?.reuse(backend.spec, scale) === undefined)
    evaluated += scales.length - fresh.length
    const replayed = await pool.run(
      fresh.map((scale) => buildPointJob(common, backend, scale)),
      (progress) => {
        evaluated++
        options.onProgress?.({backend: backend.label, round, evaluated})
        const scale = fresh[progress.jobIndex] as number
        return store?.keep(backend.spec, scale, fileOf(scale), progress.results)
      },
      {signal: options.signal},
    )
    const values: Array<{passed: boolean; value: PointValue; ceilingScale?: number}> = []
    for (let i = 0; i < scales.length; i++) {
      const scale = scales[i] as number
      const r = store?.reuse(backend.spec, scale) ?? (replayed[fresh.indexOf(scale)] as ResultsFile)
      let file: string | null = null
      if (options.outDir !== undefined && options.outDir !== null) {
        file = fileOf(scale)
        if (store === undefined) await writeResultsFile(join(options.outDir, file), r)
      }
      const {passed, reasons} = judgePoint(r)
      const steady = r.steadyState
      // Where this point's delivered rate would be the whole offered load: the search probes there next.
      const ceilingScale = steady !== undefined && !steady.sustained && steady.offeredRequests > 0 ? (scales[i] as number) * (steady.deliveredRequests / steady.offeredRequests) : undefined
      values.push({passed, value: {file, results: r, reasons}, ...(ceilingScale === undefined ? {} : {ceilingScale})})
    }
    return values
  })
  const boundedBy = outcome.status !== 'lower-bound' ? null : settings.maxScale < requested.maxScale ? 'trace-length' : 'max-scale'
  const result = describeOutcome(outcome, backend, slos, options, settings, steadyState, boundedBy)
  options.onProgress?.({backend: backend.label, round: outcome.rounds, evaluated, bracket: {lo: outcome.lastPassing?.scale ?? null, hi: outcome.firstFailing?.scale ?? null}})
  return {result, lastPassing: outcome.lastPassing?.value.results ?? null, firstFailing: outcome.firstFailing?.value.results ?? null}
}

function describeOutcome(
  outcome: Awaited<ReturnType<typeof runBracketSearch<PointValue>>>,
  backend: PreparedBackend,
  slos: string[],
  options: CapacityOptions,
  settings: SearchSettings,
  steadyState: CapacitySteadyState | null,
  boundedBy: CapacityResult['boundedBy'],
): CapacityResult {
  const sample = (outcome.lastPassing ?? outcome.firstFailing ?? outcome.evaluations[0]) as Evaluation<PointValue>
  const reference = sample.value.results
  const pass = outcome.lastPassing
  const c = pass?.value.results.counters
  const point = (e: Evaluation<PointValue>): CapacityPoint => ({rateScale: e.scale, file: e.value.file, summary: summarizePoint(e.value.results)})
  const fail = outcome.firstFailing
  const result: CapacityResult = {
    ...describeFigures(reference.backend, backend, options, c === undefined ? null : c, pass?.scale ?? 0),
    status: outcome.status,
    lowerBound: outcome.status === 'lower-bound',
    boundedBy,
    slo: canonicalSloList(slos),
    minUserSpeed: options.minUserSpeed ?? null,
    minUserSpeedPercentile,
    precision: settings.precision,
    achievedPrecision: outcome.achievedPrecision,
    lastPassing: pass === null ? null : point(pass),
    firstFailing:
      fail === null
        ? null
        : {...point(fail), failedSlos: summarizePoint(fail.value.results).failedSlos, notSustained: fail.value.results.steadyState?.sustained === false ? fail.value.results.steadyState.reason : null},
    evaluations: outcome.evaluations.map((e) => ({
      rateScale: e.scale,
      round: e.round,
      passed: e.passed,
      file: e.value.file,
      offeredRequestsPerS: e.value.results.steadyState?.offeredRequestsPerS ?? null,
      deliveredRequestsPerS: e.value.results.steadyState?.deliveredRequestsPerS ?? null,
      outputTokensPerS: e.value.results.counters.outputTokensPerS,
      goodputOutputTokensPerS: e.value.results.counters.goodput?.outputTokensPerS ?? null,
      reasons: e.value.reasons,
    })),
    rounds: outcome.rounds,
    nonMonotone: outcome.nonMonotone,
    message: '',
    steadyState,
  }
  result.message = describeCapacity(result, settings)
  return result
}

type Figures = Pick<
  CapacityResult,
  'backend' | 'backendSpec' | 'model' | 'rateScale' | 'requestsPerS' | 'outputTokensPerS' | 'totalOutputTokensPerS' | 'perFootprint' | 'footprint' | 'footprintMatch'
>

/** The capacity figures at the last passing point (zeros without one), divided by each footprint unit. */
function describeFigures(
  described: ResultsFile['backend'],
  backend: PreparedBackend,
  options: CapacityOptions,
  counters: ResultsFile['counters'] | null,
  rateScale: number,
): Figures {
  const footprint = copyFootprint(described.footprint)
  const requestsPerS = counters?.requestsPerS ?? 0
  const totalOutputTokensPerS = counters?.outputTokensPerS ?? 0
  const outputTokensPerS = options.minUserSpeed === undefined ? totalOutputTokensPerS : (counters?.goodput?.outputTokensPerS ?? 0)
  return {
    backend: described.name,
    backendSpec: backend.spec,
    model: described.model,
    rateScale,
    requestsPerS,
    outputTokensPerS,
    totalOutputTokensPerS,
    perFootprint: {
      system: divide(requestsPerS, outputTokensPerS, footprint.systems),
      chip: divide(requestsPerS, outputTokensPerS, footprint.chips),
      rack: divide(requestsPerS, outputTokensPerS, footprint.racks),
      kW: divide(requestsPerS, outputTokensPerS, footprint.kW),
      usdPerHour: footprint.usdPerHour === null ? null : divide(requestsPerS, outputTokensPerS, footprint.usdPerHour),
    },
    footprint,
    footprintMatch:
      backend.footprintMatch === null ? null : {target: formatFootprintTarget(backend.footprintMatch.target), poolReplicas: {...backend.footprintMatch.poolReplicas}},
  }
}

/** No point could be measured: the trace cannot be tiled into a steady load within the search's range. */
function describeTooShort(
  options: CapacityOptions,
  backend: PreparedBackend,
  slos: string[],
  settings: SearchSettings,
  steadyState: CapacitySteadyState,
  shape: TraceShape,
): CapacityResult {
  const resolved = resolveBackend(backend.config as BackendConfig, loadCatalog({extraFiles: options.catalogFiles}), {model: options.model, poolReplicas: backend.footprintMatch?.poolReplicas})
  const why =
    untileableReason(shape) ??
    `even at the lowest load of the search (x${settings.minScale}) the trace would need more than the ${steadyState.maxRequests.toLocaleString('en-US')} requests a point may replay to span the warm-up and the window (it allows up to x${steadyState.maxRateScale})`
  return {
    ...describeFigures(describeBackend(resolved), backend, options, null, 0),
    status: 'too-short',
    lowerBound: false,
    boundedBy: null,
    slo: canonicalSloList(slos),
    minUserSpeed: options.minUserSpeed ?? null,
    minUserSpeedPercentile,
    precision: settings.precision,
    achievedPrecision: null,
    lastPassing: null,
    firstFailing: null,
    evaluations: [],
    rounds: 0,
    nonMonotone: false,
    message: `no capacity: the trace cannot be made long enough to measure a steady load: ${why}`,
    steadyState,
  }
}

function divide(requestsPerS: number, outputTokensPerS: number, by: number): CapacityFigures | null {
  if (!(by > 0)) return null
  return {requestsPerS: requestsPerS / by, outputTokensPerS: outputTokensPerS / by}
}

function describeCapacity(r: CapacityResult, settings: SearchSettings): string {
  const tokens = r.minUserSpeed === null ? 'output tok/s' : `high-speed tok/s (users >= ${r.minUserSpeed} tok/s at p${r.minUserSpeedPercentile})`
  const failed = (f: NonNullable<CapacityResult['firstFailing']>) => [...f.failedSlos, ...(f.notSustained === null ? [] : [f.notSustained])].join('; ')
  switch (r.status) {
    case 'too-short':
      return r.message
    case 'not-reachable':
      return `not reachable: the SLOs fail even at the lowest load tried (x${r.firstFailing?.rateScale ?? settings.minScale}): ${r.firstFailing === null ? '' : failed(r.firstFailing)}; capacity 0`
    case 'lower-bound': {
      const where =
        r.boundedBy === 'trace-length' && r.steadyState !== null
          ? `the highest load at which the trace can be repeated to span the warm-up and the ${r.steadyState.minWindowS} s window within ${r.steadyState.maxRequests.toLocaleString('en-US')} requests (a longer trace, or a larger maxRequests, measures higher)`
          : 'the highest load tried'
      return `at least x${r.rateScale} (${round(r.requestsPerS)} req/s, ${round(r.outputTokensPerS)} ${tokens}): the SLOs still hold and the load is sustained at ${where}; a lower bound`
    }
    case 'found':
      return `x${r.rateScale} (${round(r.requestsPerS)} req/s, ${round(r.outputTokensPerS)} ${tokens}); x${r.firstFailing?.rateScale} fails: ${r.firstFailing === null ? '' : failed(r.firstFailing)}`
  }
}

function round(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)
}
