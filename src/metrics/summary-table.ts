import {alignColumns} from '../common/text-table.js'
import type {MetricEntry, ResultsFile} from './results-file.js'

const noData = 'no data'

/** Formats a number for a table: null as "no data", large values without decimals. */
export function formatValue(value: number | null | undefined, decimals = 1): string {
  if (value === null || value === undefined) return noData
  const abs = Math.abs(value)
  const digits = abs >= 1000 ? 0 : abs >= 100 ? Math.min(decimals, 1) : decimals
  return value.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits})
}

function formatPercent(ratio: number | null): string {
  return ratio === null ? noData : `${(ratio * 100).toFixed(1)}%`
}

/**
 * A short human summary of a results file (used by replay, merge and others): what ran,
 * completed/failed, throughput, goodput, p50/p90/p99 of TTFT, TPOT and E2E, and per-user
 * speed. Nulls print as "no data", never as 0.
 */
export function formatResultsSummary(results: ResultsFile): string {
  const c = results.counters
  const lines: string[] = []
  const parts = results.parts !== undefined ? `, ${results.parts} parts merged` : ''
  lines.push(
    `${results.backend.name} (${results.backend.model}) on ${results.trace.name}, rate scale ${results.trace.rateScale}, seed ${results.seed}${parts}`,
  )
  const reasons = Object.entries(c.failureReasons)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ')
  lines.push(`requests    ${c.requests} (completed ${c.completed}, failed ${c.failed}${reasons === '' ? '' : `: ${reasons}`})`)
  lines.push(`window      ${formatValue(results.window.durationS, 1)} s`)
  lines.push(`throughput  ${formatValue(c.outputTokensPerS)} tok/s, ${formatValue(c.requestsPerS, 2)} req/s`)
  if (c.goodput === null) {
    lines.push('goodput     no SLOs given')
  } else {
    lines.push(
      `goodput     ${formatValue(c.goodput.requestsPerS, 2)} req/s, ${formatValue(c.goodput.outputTokensPerS)} tok/s, ${formatPercent(c.goodput.ratio)} of requests meet ${results.slos.join(', ')}`,
    )
  }
  lines.push('')
  const row = (label: string, e: MetricEntry): string[] => [label, formatValue(e.p50), formatValue(e.p90), formatValue(e.p99), formatValue(e.mean), String(e.count)]
  const table: string[][] = [
    ['latency (ms)', 'p50', 'p90', 'p99', 'mean', 'count'],
    row('TTFT', results.metrics.ttft),
    row('TPOT', results.metrics.tpot),
    row('E2E', results.metrics.e2e),
  ]
  if (results.metrics.kvTransfer.count > 0) table.push(row('KV transfer', results.metrics.kvTransfer))
  lines.push(...alignColumns(table))
  lines.push('')
  const u = results.userSpeed
  lines.push(...alignColumns([
    ['per-user speed (tok/s)', 'p10', 'p50', 'p90', 'mean'],
    ['decode', formatValue(u.p10), formatValue(u.p50), formatValue(u.p90), formatValue(u.mean)],
  ]))
  const clamped = Object.entries(results.metrics)
    .filter(([, e]) => e !== undefined && e.clampedCount > 0)
    .map(([k, e]) => `${k} ${e!.clampedCount}`)
  if (clamped.length > 0) lines.push('', `warning: values outside the histogram range were clamped (${clamped.join(', ')})`)
  return lines.join('\n')
}
