import type {ResultsFile} from '../../metrics/results-file.js'
import type {MetricRef} from '../../metrics/slo.js'
import {collectBenchmarkMetrics, describeBenchmark} from './benchmark-metrics.js'

/**
 * Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format):
 *   { "<benchmark>": { "<measure slug>": { "value": number, "lower_value"?: number, "upper_value"?: number } } }
 * One benchmark per results file (trace / backend / model @ rate scale); one measure per
 * metric, in the metric's unit (ms for latencies, tok/s, req/s, ratio 0..1). Bencher
 * creates a measure the first time it sees its slug.
 */
export type BencherMetricFormat = Record<string, Record<string, {value: number; lower_value?: number; upper_value?: number}>>

export function buildBmf(results: ResultsFile, extra: readonly MetricRef[] = []): BencherMetricFormat {
  const measures: Record<string, {value: number}> = {}
  for (const metric of collectBenchmarkMetrics(results, extra)) measures[metric.slug] = {value: metric.value}
  return {[describeBenchmark(results)]: measures}
}

export function serializeBmf(bmf: BencherMetricFormat): string {
  return `${JSON.stringify(bmf, null, 2)}\n`
}
