import {summaryKeyForPercentile, type MetricUnit} from './definitions.js'
import {decodeHistogram, userSpeedAtPercentile, valueAtPercentileMs} from './histograms.js'
import type {ResultsFile} from './results-file.js'
import {compare, formatNumber, type MetricRef, type Slo} from './slo.js'

/*
 * Reading a metric out of a results file: the one place that knows where each metric
 * reference's number lives (a summary field, a counter, or a histogram for percentiles
 * the summary does not hold), and how an SLO is judged against it. The SLO grammar
 * (slo.ts) knows nothing of results files, and the results file (results-file.ts)
 * nothing of SLO evaluation. Files from outside should be checked first
 * (verify-results.ts), so that the summaries read here agree with the histograms.
 */

export interface SloEvaluation {
  slo: Slo
  passed: boolean
  /** The measured value in the SLO's unit, or null when there is no data. */
  actual: number | null
  /** Why it failed: exactly `no data` when the metric has no data, else a comparison. */
  reason?: string
  /** Longer explanation for "no data" (e.g. the run had no SLOs, so goodput was not computed). */
  detail?: string
}

/**
 * The number a metric reference reads from a results file, in the metric's unit, or null
 * when there is no data (an empty histogram, a zero-length window, goodput without SLOs).
 * `count` aggregations return the count, 0 included.
 */
export function readMetricValue(results: ResultsFile, ref: MetricRef): number | null {
  const c = results.counters
  switch (ref.metric) {
    case 'throughput.outputTokensPerS':
      return c.outputTokensPerS
    case 'throughput.requestsPerS':
      return c.requestsPerS
    case 'goodput.requestsPerS':
      return c.goodput?.requestsPerS ?? null
    case 'goodput.outputTokensPerS':
      return c.goodput?.outputTokensPerS ?? null
    case 'goodput.ratio':
      return c.goodput?.ratio ?? null
    case 'failed.ratio':
      return c.requests > 0 ? c.failed / c.requests : null
    case 'userSpeed':
      return readUserSpeed(results, ref)
    default:
      return readLatency(results, ref)
  }
}

function readLatency(results: ResultsFile, ref: MetricRef): number | null {
  const entry = results.metrics[ref.metric as keyof ResultsFile['metrics']]
  if (entry === undefined) return null
  if (ref.aggregation === 'count') return entry.count
  if (entry.count === 0) return null
  switch (ref.aggregation) {
    case 'mean':
    case 'min':
    case 'max':
      return entry[ref.aggregation]
  }
  const percentile = ref.percentile as number
  const key = summaryKeyForPercentile(percentile)
  if (key !== null) return entry[key]
  return valueAtPercentileMs(decodeHistogram(entry.histogram, `metrics.${ref.metric}.histogram`), percentile)
}

function readUserSpeed(results: ResultsFile, ref: MetricRef): number | null {
  const tpot = results.metrics.tpot
  if (ref.aggregation === 'count') return tpot.count
  if (tpot.count === 0) return null
  const speedOf = (ms: number | null): number | null => (ms === null || ms <= 0 ? null : Math.round((1000 / ms) * 1000) / 1000)
  switch (ref.aggregation) {
    case 'mean':
      return results.userSpeed.mean
    case 'min':
      return speedOf(tpot.max)
    case 'max':
      return speedOf(tpot.min)
  }
  const percentile = ref.percentile as number
  if (percentile === 10) return results.userSpeed.p10
  if (percentile === 50) return results.userSpeed.p50
  if (percentile === 90) return results.userSpeed.p90
  return userSpeedAtPercentile(decodeHistogram(tpot.histogram, 'metrics.tpot.histogram'), percentile)
}

/** Checks one SLO against a results file. A metric with no data fails with reason "no data". */
export function evaluateSlo(slo: Slo, results: ResultsFile): SloEvaluation {
  const actual = readMetricValue(results, slo)
  // Real endpoints: a run whose harness fell behind (or was interrupted) is not a measurement,
  // so no SLO holds on it: capacity searches, claims and gates all fail closed.
  const harness = results.http?.harness
  if (harness !== undefined && !harness.valid) {
    return {slo, passed: false, actual, reason: 'invalid run', detail: `the harness certified no measurement: ${harness.invalidReasons.join('; ')}`}
  }
  if (actual === null) return {slo, passed: false, actual: null, reason: 'no data', detail: explainNoData(slo, results)}
  const passed = compare(actual, slo.op, slo.threshold)
  if (passed) return {slo, passed, actual}
  return {slo, passed, actual, reason: `${slo.key} was ${formatNumber(actual)}${unitText(slo.unit)}, expected ${slo.op} ${formatNumber(slo.threshold)}${unitText(slo.unit)}`}
}

export function evaluateSlos(slos: readonly Slo[], results: ResultsFile): SloEvaluation[] {
  return slos.map((slo) => evaluateSlo(slo, results))
}

function unitText(unit: MetricUnit): string {
  return unit === 'ratio' || unit === 'count' ? '' : ` ${unit}`
}

function explainNoData(slo: Slo, results: ResultsFile): string {
  if (slo.metric.startsWith('goodput.') && results.counters.goodput === null) return 'the run had no SLOs, so goodput was not computed'
  if (slo.metric.startsWith('throughput.')) return 'the measured window is empty'
  if (slo.metric === 'failed.ratio') return 'no requests were replayed'
  if (slo.metric === 'kvTransfer') return 'no request crossed a KV link (aggregated backend?)'
  if (slo.metric === 'sendLag') return 'this backend does not report send lag'
  if (slo.metric === 'userSpeed' || slo.metric === 'tpot') return 'no completed request had more than one output token'
  return `no completed request recorded ${slo.metric}`
}

