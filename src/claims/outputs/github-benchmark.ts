import type {ResultsFile} from '../../metrics/results-file.js'
import type {MetricRef} from '../../metrics/slo.js'
import {collectBenchmarkMetrics, describeBenchmark} from './benchmark-metrics.js'

/**
 * github-action-benchmark's custom tools (benchmark-action/github-action-benchmark):
 * a JSON array of {name, unit, value, range?, extra?}. One file can hold only one
 * direction, so the metrics are split: `customSmallerIsBetter` (latencies, failed
 * ratio) and `customBiggerIsBetter` (throughput, goodput, per-user speed).
 */
export interface GithubBenchmarkEntry {
  name: string
  unit: string
  value: number
  range?: string
  extra?: string
}

export interface GithubBenchmarkFiles {
  smallerIsBetter: GithubBenchmarkEntry[]
  biggerIsBetter: GithubBenchmarkEntry[]
}

export function buildGithubBenchmark(results: ResultsFile, extra: readonly MetricRef[] = []): GithubBenchmarkFiles {
  const benchmark = describeBenchmark(results)
  const out: GithubBenchmarkFiles = {smallerIsBetter: [], biggerIsBetter: []}
  for (const metric of collectBenchmarkMetrics(results, extra)) {
    const entry: GithubBenchmarkEntry = {
      name: `${benchmark} - ${metric.key}`,
      unit: metric.unit,
      value: metric.value,
      extra: `seed ${results.seed}; ${results.counters.completed} completed, ${results.counters.failed} failed`,
    }
    ;(metric.biggerIsBetter ? out.biggerIsBetter : out.smallerIsBetter).push(entry)
  }
  return out
}

/** `bench.json` -> {smaller: `bench.json`, bigger: `bench.bigger.json`}; `bench` -> `bench.bigger`. */
export function githubBenchmarkPaths(path: string): {smaller: string; bigger: string} {
  const dot = path.lastIndexOf('.')
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  const bigger = dot > slash + 1 ? `${path.slice(0, dot)}.bigger${path.slice(dot)}` : `${path}.bigger`
  return {smaller: path, bigger}
}

export function serializeGithubBenchmark(entries: readonly GithubBenchmarkEntry[]): string {
  return `${JSON.stringify(entries, null, 2)}\n`
}
