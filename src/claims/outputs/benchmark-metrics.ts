import {metricDefinitions, type MetricUnit} from '../../metrics/definitions.js'
import type {ResultsFile} from '../../metrics/results-file.js'
import {readMetricValue} from '../../metrics/read-metric.js'
import {parseMetricRef, type MetricRef} from '../../metrics/slo.js'

/**
 * The numbers a results file contributes to benchmark dashboards (Bencher,
 * github-action-benchmark): a fixed standard set plus any metric a gate checked, so a
 * gated metric is always charted. Metrics with no data are left out, never written as 0.
 */
export const standardBenchmarkMetrics = [
  'ttft.p50',
  'ttft.p90',
  'ttft.p99',
  'tpot.p50',
  'tpot.p90',
  'tpot.p99',
  'itl.p99',
  'e2e.p50',
  'e2e.p90',
  'e2e.p99',
  'userSpeed.p10',
  'userSpeed.p50',
  'throughput.outputTokensPerS',
  'throughput.requestsPerS',
  'goodput.outputTokensPerS',
  'goodput.ratio',
  'failed.ratio',
] as const

export interface BenchmarkMetric {
  /** The metric reference: `ttft.p90`. */
  key: string
  /** Kebab-case, at most 64 characters (a Bencher measure slug): `ttft-p90`, `throughput-output-tokens-per-s`. */
  slug: string
  unit: MetricUnit
  value: number
  biggerIsBetter: boolean
}

export function collectBenchmarkMetrics(results: ResultsFile, extra: readonly MetricRef[] = []): BenchmarkMetric[] {
  const refs = new Map<string, MetricRef>()
  for (const key of standardBenchmarkMetrics) refs.set(key, parseMetricRef(key))
  for (const ref of extra) if (ref.aggregation !== 'count' && !refs.has(ref.key)) refs.set(ref.key, ref)
  const out: BenchmarkMetric[] = []
  for (const ref of refs.values()) {
    const value = readMetricValue(results, ref)
    if (value === null || !Number.isFinite(value)) continue
    const definition = metricDefinitions[ref.metric]
    out.push({key: ref.key, slug: toMeasureSlug(ref.key), unit: definition.unit, value, biggerIsBetter: definition.biggerIsBetter})
  }
  return out
}

/** `throughput.outputTokensPerS` -> `throughput-output-tokens-per-s`, `ttft.p999` -> `ttft-p999`. */
export function toMeasureSlug(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
    .slice(0, 64)
}

/** The benchmark a results file is: `chat / trn3-cs3 / llama-3.3-70b @ x1`. */
export function describeBenchmark(results: ResultsFile): string {
  return `${results.trace.name} / ${results.backend.name} / ${results.backend.model} @ x${results.trace.rateScale}`
}
