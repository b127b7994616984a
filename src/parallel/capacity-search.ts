import type {EndpointJobOptions} from '../replay/run-replay.js'
import {join} from 'node:path'
import {TracebenchError} from '../common/errors.js'
import {canonicalSloList, writeResultsFile, type Footprint, type ResultsFile} from '../metrics/results-file.js'
import {evaluateSlos, parseSlos, type Slo} from '../metrics/slo.js'
import {defaultSearchSettings, runBracketSearch, validateSearchSettings, type Evaluation, type SearchSettings, type SearchStatus} from './bracket-search.js'
import {formatFootprintTarget, type FootprintTarget} from './footprint-target.js'
import {buildPointJob, formatScaleForFile, type PointCommon} from './point-job.js'
import {copyFootprint, summarizePoint, type PointSummary} from './point-summary.js'
import {createReplayPool, type ReplayPool} from './pool.js'
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
  pool?: ReplayPool
  workers?: number
  catalogFiles?: string[]
  onProgress?: (progress: CapacityProgress) => void
  /** Real endpoints (issue 11): endpoint flags and harness options for endpoint backends. */
  http?: EndpointJobOptions
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
  /** `found`, `not-reachable` (the SLOs fail even at the lowest scale: capacity 0) or `lower-bound`. */
  status: SearchStatus
  /** True when the SLOs still held at the highest scale tried: the figures are a lower bound. */
  lowerBound: boolean
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
  firstFailing: (CapacityPoint & {failedSlos: string[]}) | null
  /** Every evaluated point in evaluation order. */
  evaluations: Array<{rateScale: number; round: number; passed: boolean; file: string | null}>
  rounds: number
  /** Some load above the first failing one passed again (noise); the bracket stays below it. */
  nonMonotone: boolean
  /** One line for people: the answer, or why there is none. */
  message: string
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
    validateSearchSettings({...defaultSearchSettings, ...options.search, precision: options.precision ?? defaultSearchSettings.precision})
    const [backend] = prepareBackends([options.backend], {model: options.model, footprint: options.footprint ?? null, catalogFiles: options.catalogFiles})
    return await searchBackend(options, backend as PreparedBackend, slos, pool)
  } finally {
    if (options.pool === undefined) await pool.close()
  }
}

interface PointValue {
  file: string | null
  results: ResultsFile
}

/** Runs the search for an already prepared backend on a given pool (used by findCapacity and the multi-backend runner). */
export async function searchBackend(options: CapacityOptions, backend: PreparedBackend, slos: string[], pool: ReplayPool): Promise<CapacityDetails> {
  const precision = options.precision ?? defaultSearchSettings.precision
  const settings: SearchSettings = {...defaultSearchSettings, ...options.search, precision}
  const parsed = parseSlos(slos)
  const common: PointCommon = {trace: options.trace, model: options.model, limit: options.limit, seed: options.seed ?? 1, slos, catalogFiles: options.catalogFiles, http: options.http}
  let evaluated = 0
  const outcome = await runBracketSearch<PointValue>(settings, async (scales, round) => {
    const results = await pool.run(
      scales.map((scale) => buildPointJob(common, backend, scale)),
      () => {
        evaluated++
        options.onProgress?.({backend: backend.label, round, evaluated})
      },
    )
    const values: Array<{passed: boolean; value: PointValue}> = []
    for (let i = 0; i < scales.length; i++) {
      const r = results[i] as ResultsFile
      let file: string | null = null
      if (options.outDir !== undefined && options.outDir !== null) {
        file = `${backend.label}/capacity-${formatScaleForFile(scales[i] as number)}.json`
        await writeResultsFile(join(options.outDir, file), r)
      }
      values.push({passed: allSlosPass(parsed, r), value: {file, results: r}})
    }
    return values
  })
  const result = describeOutcome(outcome, backend, slos, options, settings)
  options.onProgress?.({backend: backend.label, round: outcome.rounds, evaluated, bracket: {lo: outcome.lastPassing?.scale ?? null, hi: outcome.firstFailing?.scale ?? null}})
  return {result, lastPassing: outcome.lastPassing?.value.results ?? null, firstFailing: outcome.firstFailing?.value.results ?? null}
}

function allSlosPass(slos: readonly Slo[], results: ResultsFile): boolean {
  return evaluateSlos(slos, results).every((e) => e.passed)
}

function describeOutcome(
  outcome: Awaited<ReturnType<typeof runBracketSearch<PointValue>>>,
  backend: PreparedBackend,
  slos: string[],
  options: CapacityOptions,
  settings: SearchSettings,
): CapacityResult {
  const sample = (outcome.lastPassing ?? outcome.firstFailing ?? outcome.evaluations[0]) as Evaluation<PointValue>
  const reference = sample.value.results
  const footprint = copyFootprint(reference.backend.footprint)
  const pass = outcome.lastPassing
  const floor = options.minUserSpeed ?? null
  const c = pass?.value.results.counters
  const requestsPerS = c?.requestsPerS ?? 0
  const totalOutputTokensPerS = c?.outputTokensPerS ?? 0
  const outputTokensPerS = floor === null ? totalOutputTokensPerS : (c?.goodput?.outputTokensPerS ?? 0)
  const point = (e: Evaluation<PointValue>): CapacityPoint => ({rateScale: e.scale, file: e.value.file, summary: summarizePoint(e.value.results)})
  const fail = outcome.firstFailing
  const result: CapacityResult = {
    backend: reference.backend.name,
    backendSpec: backend.spec,
    model: reference.backend.model,
    status: outcome.status,
    lowerBound: outcome.status === 'lower-bound',
    rateScale: pass?.scale ?? 0,
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
    slo: canonicalSloList(slos),
    minUserSpeed: floor,
    minUserSpeedPercentile,
    precision: settings.precision,
    achievedPrecision: outcome.achievedPrecision,
    lastPassing: pass === null ? null : point(pass),
    firstFailing: fail === null ? null : {...point(fail), failedSlos: summarizePoint(fail.value.results).failedSlos},
    evaluations: outcome.evaluations.map((e) => ({rateScale: e.scale, round: e.round, passed: e.passed, file: e.value.file})),
    rounds: outcome.rounds,
    nonMonotone: outcome.nonMonotone,
    message: '',
  }
  result.message = describeCapacity(result, settings)
  return result
}

function divide(requestsPerS: number, outputTokensPerS: number, by: number): CapacityFigures | null {
  if (!(by > 0)) return null
  return {requestsPerS: requestsPerS / by, outputTokensPerS: outputTokensPerS / by}
}

function describeCapacity(r: CapacityResult, settings: SearchSettings): string {
  const tokens = r.minUserSpeed === null ? 'output tok/s' : `high-speed tok/s (users >= ${r.minUserSpeed} tok/s at p${r.minUserSpeedPercentile})`
  switch (r.status) {
    case 'not-reachable':
      return `not reachable: the SLOs fail even at the lowest load tried (x${r.firstFailing?.rateScale ?? settings.minScale}): ${r.firstFailing?.failedSlos.join('; ') ?? ''}; capacity 0`
    case 'lower-bound':
      return `at least x${r.rateScale} (${round(r.requestsPerS)} req/s, ${round(r.outputTokensPerS)} ${tokens}): the SLOs still hold at the highest load tried; a lower bound`
    case 'found':
      return `x${r.rateScale} (${round(r.requestsPerS)} req/s, ${round(r.outputTokensPerS)} ${tokens}); x${r.firstFailing?.rateScale} fails: ${r.firstFailing?.failedSlos.join('; ') ?? ''}`
  }
}

function round(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)
}
