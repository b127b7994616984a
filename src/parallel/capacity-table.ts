import {alignColumns} from '../common/text-table.js'
import {formatValue} from '../metrics/summary-table.js'
import type {CapacityReport} from './capacity-report.js'
import type {CapacityResult} from './capacity-search.js'
import {formatFootprint} from './footprint-target.js'

function capacityCell(r: CapacityResult): string {
  if (r.status === 'not-reachable') return 'not reachable'
  if (r.status === 'too-short') return 'no number'
  return r.status === 'lower-bound' ? `>= x${r.rateScale}` : `x${r.rateScale}`
}

function perUnit(r: CapacityResult, unit: keyof CapacityResult['perFootprint']): string {
  const figures = r.perFootprint[unit]
  return figures === null ? 'no data' : formatValue(figures.outputTokensPerS)
}

/**
 * The capacity table: one row per backend with the capacity (rate scale, req/s, output
 * tok/s), tokens per rack and per kW, and the footprint; then one line per backend
 * saying how the answer was bracketed or why there is none.
 */
export function formatCapacityTable(report: CapacityReport): string {
  if (report.results.length === 0) {
    const shard = report.shard === null ? '' : ` (shard ${report.shard.index}/${report.shard.count} of ${report.spec.backends.length} backend${report.spec.backends.length === 1 ? '' : 's'})`
    return `no backend to search in this run${shard}`
  }
  const floor = report.spec.minUserSpeed
  const tokensHeader = floor === null ? 'tok/s' : `tok/s >= ${floor}/user`
  const rows: string[][] = [['backend', 'model', 'capacity', 'req/s', tokensHeader, 'per rack', 'per kW', 'per system', 'footprint']]
  for (const r of report.results) {
    rows.push([
      r.backend,
      r.model,
      capacityCell(r),
      formatValue(r.requestsPerS, 2),
      formatValue(r.outputTokensPerS),
      perUnit(r, 'rack'),
      perUnit(r, 'kW'),
      perUnit(r, 'system'),
      formatFootprint(r.footprint),
    ])
  }
  const lines = alignColumns(rows)
  lines.push('')
  lines.push(`SLOs: ${report.spec.slo.join(', ')}; precision ${(report.spec.precision * 100).toFixed(1)}%${report.spec.footprint === null ? '' : `; footprint matched to ${report.spec.footprint.unit}=${report.spec.footprint.value}`}`)
  const steady = report.results.find((r) => r.steadyState !== null)?.steadyState
  if (steady !== undefined && steady !== null) {
    lines.push(
      `steady state: each point repeats the trace to span a ${formatValue(steady.warmupS, 0)} s warm-up and a window of at least ${formatValue(steady.minWindowS, 0)} s; ` +
        `it passes when the SLOs hold on the requests arriving in the window and the backend delivers at least ${Math.round(steady.minDeliveredRatio * 100)}% of the request rate offered`,
    )
  }
  if (floor !== null) lines.push(`per-user speed floor: userSpeed.p10 >= ${floor} tok/s (90% of requests decode at least this fast); tok/s counts tokens of requests meeting every SLO`)
  for (const r of report.results) {
    lines.push(`${r.backend}: ${r.message}`)
    const at = r.lastPassing?.summary.steadyState
    if (at !== undefined) {
      lines.push(
        `${r.backend}: at the capacity ${formatValue(at.deliveredRequestsPerS, 2)} req/s delivered of ${formatValue(at.offeredRequestsPerS, 2)} offered over a ${formatValue(at.windowS, 0)} s window (the trace repeated ${at.tiles} time${at.tiles === 1 ? '' : 's'})`,
      )
    }
    if (r.nonMonotone) lines.push(`${r.backend}: warning: a load above the first failing one passed again; the capacity is the highest passing load below the first failure`)
    if (r.lastPassing?.file) lines.push(`${r.backend}: last passing point ${r.lastPassing.file}${r.firstFailing?.file ? `, first failing ${r.firstFailing.file}` : ''}`)
  }
  return lines.join('\n')
}
