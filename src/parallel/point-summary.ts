import type {Footprint, ResultsFile} from '../metrics/results-file.js'
import {evaluateSlos} from '../metrics/read-metric.js'
import {parseSlos} from '../metrics/slo.js'

/**
 * The numbers of one evaluated point that sweeps and capacity searches put in their
 * index files and tables (read from the point's results file; the file stays the
 * reference). Nulls mean "no data", never 0.
 */
export interface PointSummary {
  requests: number
  completed: number
  failed: number
  /** Measured throughput over the point's window. */
  requestsPerS: number | null
  outputTokensPerS: number | null
  /** Requests (and their output tokens) that met every SLO, per second; null without SLOs. */
  goodputRequestsPerS: number | null
  goodputOutputTokensPerS: number | null
  goodputRatio: number | null
  ttftP90Ms: number | null
  tpotP90Ms: number | null
  /** Per-user decode speed (1000 / TPOT) at the 10th and 50th percentile of requests, tok/s. */
  userSpeedP10: number | null
  userSpeedP50: number | null
  /** Every SLO holds on the whole run (null when there are no SLOs). */
  sloPassed: boolean | null
  /** Why each failing SLO failed, e.g. `ttft.p90 was 2300 ms, expected <= 2000 ms`. */
  failedSlos: string[]
  /** Steady-state points (capacity) only: the window and the load offered and delivered in it. */
  steadyState?: {
    windowS: number
    tiles: number
    offeredRequestsPerS: number
    deliveredRequestsPerS: number
    deliveredRatio: number | null
    sustained: boolean
    reason: string | null
  }
}

export function summarizePoint(results: ResultsFile): PointSummary {
  const c = results.counters
  const evaluations = evaluateSlos(parseSlos(results.slos), results)
  const failed = evaluations.filter((e) => !e.passed)
  return {
    requests: c.requests,
    completed: c.completed,
    failed: c.failed,
    requestsPerS: c.requestsPerS,
    outputTokensPerS: c.outputTokensPerS,
    goodputRequestsPerS: c.goodput?.requestsPerS ?? null,
    goodputOutputTokensPerS: c.goodput?.outputTokensPerS ?? null,
    goodputRatio: c.goodput?.ratio ?? null,
    ttftP90Ms: results.metrics.ttft.p90,
    tpotP90Ms: results.metrics.tpot.p90,
    userSpeedP10: results.userSpeed.p10,
    userSpeedP50: results.userSpeed.p50,
    sloPassed: evaluations.length === 0 ? null : failed.length === 0,
    failedSlos: failed.map((e) => (e.reason === 'no data' ? `${e.slo.canonical}: no data (${e.detail ?? 'no value'})` : (e.reason ?? e.slo.canonical))),
    ...summarizeSteadyState(results),
  }
}

function summarizeSteadyState(results: ResultsFile): Pick<PointSummary, 'steadyState'> {
  const s = results.steadyState
  if (s === undefined) return {}
  return {
    steadyState: {
      windowS: results.window.durationS,
      tiles: s.tiles,
      offeredRequestsPerS: s.offeredRequestsPerS,
      deliveredRequestsPerS: s.deliveredRequestsPerS,
      deliveredRatio: s.deliveredRatio,
      sustained: s.sustained,
      reason: s.reason,
    },
  }
}

export function copyFootprint(footprint: Footprint): Footprint {
  const copy: Footprint = {systems: footprint.systems, chips: footprint.chips, racks: footprint.racks, kW: footprint.kW, usdPerHour: footprint.usdPerHour}
  if (footprint.rackFraction !== undefined) copy.rackFraction = footprint.rackFraction
  return copy
}
