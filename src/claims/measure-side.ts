import {TracebenchError} from '../common/errors.js'
import type {ResultsFile} from '../metrics/results-file.js'
import {readMetricValue} from '../metrics/read-metric.js'
import type {ClaimsEngine, ReplayRequest} from './claims-engine.js'
import type {FootprintUnit} from './claims-schema.js'
import type {ResolvedClaim, ResolvedMetric} from './load-claims.js'
import type {TokensPerQuery} from './measure-trace-tokens.js'
import type {Bound} from './verdict.js'

/**
 * One side of a claim (the subject or the baseline) on one workload: the number the
 * claim compares, with the detail behind it. Errors a user can cause (a model that does
 * not fit a backend, a trace that cannot be read) become `error` so the claim is
 * inconclusive with that reason; anything else is a bug and propagates.
 */
export interface SideValue {
  value: number | null
  bound: Bound
  detail: Record<string, unknown>
  results: ResultsFile | null
  error: string | null
  /**
   * How far above `value` the true value may lie (a fraction): a capacity search stops
   * when the first failing load is within its precision of the last passing one. Absent
   * or null when the value is exact.
   */
  upperSpread?: number | null
  /**
   * The value rests on a wafer decode speed that is predicted, not calibrated to a published
   * figure: the true per-user speed is `relativeRange` x the predicted one (and the value with
   * it). Absent or null when every decode speed behind the value is calibrated.
   */
  speedUncertainty?: {relativeRange: [number, number]; why: string} | null
}

/** A replayable workload: the trace, its limit and its token statistics. */
export interface WorkloadInput {
  name: string
  path: string
  limit: number | null
  tokens: TokensPerQuery
}

/** Rate scale of the low-load replay behind `decode-speed` with `method: replay`. */
export const defaultDecodeReplayRateScale = 0.05

const footprintLabels: Record<FootprintUnit, string> = {systems: 'system', chips: 'chip', racks: 'rack', kW: 'kW', usdPerHour: '$/h'}

/** The unit of a claim's per-side value. */
export function describeValueUnit(metric: ResolvedMetric): string {
  switch (metric.kind) {
    case 'capacity':
      return metric.footprintPer === null ? 'tok/s' : `tok/s per ${footprintLabels[metric.footprintPer]}`
    case 'decode-speed':
      return 'tok/s'
    case 'tokens-per-query':
      return 'tokens'
    default:
      return 'ms'
  }
}

/** Latencies are better smaller; every other claim metric is better bigger. */
export function isSmallerBetter(metric: ResolvedMetric): boolean {
  return metric.kind === 'ttft' || metric.kind === 'tpot' || metric.kind === 'e2e'
}

/** Measures one backend on one workload for a backend claim (not tokens-per-query). */
export async function measureBackendSide(engine: ClaimsEngine, claim: ResolvedClaim, backend: string, workload: WorkloadInput): Promise<SideValue> {
  try {
    return await measureBackend(engine, claim, backend, workload)
  } catch (error) {
    if (error instanceof TracebenchError) return {value: null, bound: 'exact', detail: {}, results: null, error: error.message}
    throw error
  }
}

async function measureBackend(engine: ClaimsEngine, claim: ResolvedClaim, backend: string, workload: WorkloadInput): Promise<SideValue> {
  const metric = claim.metric
  const replay = (rateScale: number, slos: string[]): ReplayRequest => ({
    trace: workload.path,
    limit: workload.limit,
    backend,
    model: claim.model,
    rateScale,
    seed: claim.seed,
    slos,
  })
  switch (metric.kind) {
    case 'capacity': {
      const c = await engine.capacity({
        trace: workload.path,
        limit: workload.limit,
        backend,
        model: claim.model,
        slos: metric.parsedSlos.map((s) => s.canonical),
        minUserSpeed: metric.minUserSpeed ?? null,
        footprintMatch: metric.footprintMatch,
        precision: metric.precision ?? null,
        seed: claim.seed,
      })
      const detail: Record<string, unknown> = {
        status: c.status,
        rateScale: c.rateScale,
        requestsPerS: c.requestsPerS,
        outputTokensPerS: c.outputTokensPerS,
        footprint: c.footprint,
        nonMonotone: c.nonMonotone,
        evaluations: c.evaluations,
        achievedPrecision: c.achievedPrecision ?? null,
        ...describeFailures(c.results),
      }
      const per = metric.footprintPer
      const divisor = per === null ? 1 : c.footprint[per]
      if (divisor === null || !(divisor > 0)) {
        return {value: null, bound: 'exact', detail, results: c.results, error: `backend ${backend} reports no ${per ?? 'footprint'} to normalise by`}
      }
      if (c.status === 'too-short') return {value: null, bound: 'exact', detail, results: null, error: c.message ?? 'the trace cannot be made long enough to measure a steady load'}
      if (c.status === 'not-reachable') return {value: 0, bound: 'exact', detail, results: c.results, error: null}
      if (c.outputTokensPerS === null) return {value: null, bound: 'exact', detail, results: c.results, error: 'the capacity point has no throughput data'}
      return {
        value: c.outputTokensPerS / divisor,
        bound: c.status === 'lower-bound' ? 'at-least' : 'exact',
        detail,
        results: c.results,
        error: null,
        upperSpread: c.status === 'found' ? (c.achievedPrecision ?? null) : null,
        speedUncertainty: readSpeedUncertainty(c.results),
      }
    }
    case 'decode-speed': {
      if (metric.method === 'cost-model') {
        // One sequence alone at the workload's mean context halfway through its answer.
        const contextTokens = Math.round(workload.tokens.perRequest.input + workload.tokens.perRequest.output / 2)
        const d = engine.decodeSpeed({backend, model: claim.model, contextTokens})
        const detail: Record<string, unknown> = {method: 'cost-model', contextTokens, stepMs: d.stepMs, boundBy: d.bound, hardware: d.hardware, pool: d.pool}
        if (d.kvCapacityTokens !== undefined) detail.kvCapacityTokens = d.kvCapacityTokens
        // A speed at a context the replica cannot hold is the speed of a deployment that does not exist.
        if (d.kvCapacityTokens !== undefined && contextTokens > d.kvCapacityTokens) {
          const replica = d.chipsPerReplica === undefined ? d.hardware : `${d.chipsPerReplica} ${d.hardware} ${d.hardware === 'cs3' ? 'system' : 'chip'}${d.chipsPerReplica === 1 ? '' : 's'}`
          return {
            value: null,
            bound: 'exact',
            detail,
            results: null,
            error:
              `the workload's mean context of ${contextTokens.toLocaleString('en-US')} tokens does not fit the KV cache of one ${d.pool} replica ` +
              `(${d.kvCapacityTokens.toLocaleString('en-US')} tokens of ${claim.model} on ${replica}); use a backend with more memory per replica`,
          }
        }
        const speedUncertainty = d.speedUncertainty === undefined || d.speedUncertainty.relativeRange.every((f) => f === 1) ? null : d.speedUncertainty
        if (speedUncertainty !== null) detail.speedRange = speedUncertainty.relativeRange.map((f) => f * d.tokensPerS)
        return {value: d.tokensPerS, bound: 'exact', detail, results: null, error: null, speedUncertainty}
      }
      const rateScale = metric.rateScale ?? defaultDecodeReplayRateScale
      const results = await engine.replay(replay(rateScale, []))
      const value = results.userSpeed.p50
      return {
        value,
        bound: 'exact',
        detail: {method: 'replay', rateScale, statistic: 'userSpeed.p50', userSpeed: results.userSpeed, ...describeFailures(results)},
        results,
        error: value === null ? 'no completed request had more than one output token (no decode to time)' : null,
        speedUncertainty: readSpeedUncertainty(results),
      }
    }
    case 'ttft':
    case 'tpot':
    case 'e2e': {
      const results = await engine.replay(replay(metric.rateScale, []))
      const value = readMetricValue(results, metric.ref)
      return {
        value,
        bound: 'exact',
        detail: {rateScale: metric.rateScale, statistic: metric.ref.key, ...describeFailures(results)},
        results,
        error: value === null ? `no data for ${metric.ref.key} (${results.counters.completed} of ${results.counters.requests} requests completed)` : null,
        // Time to first token is the prompt's: the decode floor does not set it.
        speedUncertainty: metric.kind === 'ttft' ? null : readSpeedUncertainty(results),
      }
    }
    case 'tokens-per-query':
      throw new Error('internal: tokens-per-query has no backend side')
  }
}

/**
 * The widest predicted-speed range among the wafer pools of a replay (results files record it
 * per pool, src/replay/run-replay.ts), or null when every pool's decode speed is calibrated.
 */
function readSpeedUncertainty(results: ResultsFile | null): SideValue['speedUncertainty'] {
  const resolved = (results?.backend.config as {resolved?: Record<string, {decodeSpeed?: {calibrated: boolean; relativeRange: [number, number]; why: string}}>} | undefined)?.resolved
  const uncalibrated = Object.values(resolved ?? {})
    .map((pool) => pool.decodeSpeed)
    .filter((speed): speed is {calibrated: boolean; relativeRange: [number, number]; why: string} => speed !== undefined && !speed.calibrated)
  if (uncalibrated.length === 0) return null
  const widest = uncalibrated.reduce((a, b) => (b.relativeRange[1] / b.relativeRange[0] > a.relativeRange[1] / a.relativeRange[0] ? b : a))
  return {relativeRange: widest.relativeRange, why: widest.why}
}

/** Completed and failed requests of the point behind a value: a backend that fails half the requests is not "fast". */
function describeFailures(results: ResultsFile | null): Record<string, unknown> {
  if (results === null) return {}
  const c = results.counters
  return {requests: c.requests, completed: c.completed, failed: c.failed, failureReasons: c.failureReasons}
}

/** The tokens-per-query side of a workload: the counted mean, with every count in the detail. */
export function measureTokensSide(metric: Extract<ResolvedMetric, {kind: 'tokens-per-query'}>, tokens: TokensPerQuery): SideValue {
  const unit = metric.per === 'request' ? tokens.perRequest : tokens.perSession
  return {
    value: unit[metric.count],
    bound: 'exact',
    detail: {
      counted: `${metric.count} tokens per ${metric.per}`,
      requests: tokens.requests,
      sessions: tokens.sessions,
      perRequest: tokens.perRequest,
      perSession: tokens.perSession,
    },
    results: null,
    error: null,
  }
}

export interface RatioOutcome {
  measured: number | null
  bound: Bound
  missingReason?: string
}

/**
 * Subject / baseline (or baseline / subject for latencies, so that bigger always means
 * "the subject is better"), with the bound the two sides' bounds imply.
 */
export function composeRatio(smallerBetter: boolean, subject: SideValue, baseline: SideValue, labels: {subject: string; baseline: string}): RatioOutcome {
  if (subject.value === null && baseline.value === null) {
    return {measured: null, bound: 'exact', missingReason: `${labels.subject}: ${subject.error ?? 'no data'}; ${labels.baseline}: ${baseline.error ?? 'no data'}`}
  }
  if (subject.value === null) return {measured: null, bound: 'exact', missingReason: `${labels.subject}: ${subject.error ?? 'no data'}`}
  if (baseline.value === null) return {measured: null, bound: 'exact', missingReason: `${labels.baseline}: ${baseline.error ?? 'no data'}`}
  const [num, den, numLabel, denLabel, numBound, denBound] = smallerBetter
    ? [baseline.value, subject.value, labels.baseline, labels.subject, baseline.bound, subject.bound]
    : [subject.value, baseline.value, labels.subject, labels.baseline, subject.bound, baseline.bound]
  if (den === 0) {
    const why = num === 0 ? `both ${numLabel} and ${denLabel} measured 0` : `${denLabel} measured 0, so the ratio is unbounded`
    const notReachable = subject.detail.status === 'not-reachable' || baseline.detail.status === 'not-reachable'
    const capacityNote = notReachable ? ' (a capacity of 0: the SLOs fail even at the lowest load)' : ''
    return {measured: null, bound: 'exact', missingReason: `${why}${capacityNote}`}
  }
  const bound = combineBounds(numBound, invertBound(denBound))
  if (bound === null) return {measured: num / den, bound: 'exact', missingReason: 'both sides are bounds in opposite directions (capacity searches hit their bracket limits)'}
  return {measured: num / den, bound}
}

function invertBound(bound: Bound): Bound {
  return bound === 'at-least' ? 'at-most' : bound === 'at-most' ? 'at-least' : 'exact'
}

function combineBounds(a: Bound, b: Bound): Bound | null {
  if (a === 'exact') return b
  if (b === 'exact' || a === b) return a
  return null
}
