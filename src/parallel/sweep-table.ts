import {alignColumns} from '../common/text-table.js'
import {formatValue} from '../metrics/summary-table.js'
import {formatFootprint} from './footprint-target.js'
import type {SweepIndex, SweepPoint} from './sweep-index.js'


function formatPercent(ratio: number | null): string {
  return ratio === null ? 'no data' : `${(ratio * 100).toFixed(1)}%`
}

function sloCell(point: SweepPoint): string {
  if (point.summary.sloPassed === null) return '-'
  return point.summary.sloPassed ? 'pass' : 'FAIL'
}

/**
 * One table per backend, rows by load: rate scale, requests/s, output tokens/s, goodput
 * (req/s and share of requests meeting every SLO), p90 TTFT, p90 TPOT, per-user decode
 * speed (p10 and p50, tok/s) and whether the SLOs held. "no data" is never printed as 0.
 */
export function formatSweepTables(index: SweepIndex): string {
  const blocks: string[] = []
  const backends = [...new Set(index.points.map((p) => p.backend))]
  for (const backend of backends) {
    const points = index.points.filter((p) => p.backend === backend).sort((a, b) => a.rateScale - b.rateScale)
    const first = points[0] as SweepPoint
    const lines = [`${first.backendName} (${first.model}), ${formatFootprint(first.footprint)}`]
    const rows: string[][] = [['load', 'req/s', 'tok/s', 'goodput req/s', 'goodput', 'TTFT p90 ms', 'TPOT p90 ms', 'user tok/s p10', 'p50', 'SLOs']]
    for (const p of points) {
      const s = p.summary
      rows.push([
        `x${p.rateScale}`,
        formatValue(s.requestsPerS, 2),
        formatValue(s.outputTokensPerS),
        formatValue(s.goodputRequestsPerS, 2),
        formatPercent(s.goodputRatio),
        formatValue(s.ttftP90Ms),
        formatValue(s.tpotP90Ms, 2),
        formatValue(s.userSpeedP10),
        formatValue(s.userSpeedP50),
        sloCell(p),
      ])
    }
    lines.push(...alignColumns(rows))
    blocks.push(lines.join('\n'))
  }
  if (index.spec.slos.length > 0) blocks.push(`SLOs: ${index.spec.slos.join(', ')}`)
  return blocks.join('\n\n')
}
