import {alignColumns} from '../common/text-table.js'
import type {ClaimsReport} from './claims-report.js'
import {formatQuantity} from './verdict.js'

/**
 * The text `tracebench claims` prints: one line per claim and workload (measured,
 * target, verdict), then the reasons for every verdict that is not plainly supported,
 * the sensitivity sweeps, and the outcome of the gate.
 */
export function formatClaimsTable(report: ClaimsReport): string {
  const rows: string[][] = [['claim', 'workload', 'compared', 'measured', 'target', 'verdict']]
  for (const claim of report.claims) {
    for (const row of claim.rows) {
      // A workload can have its own backends (overrides), so the comparison is named per row.
      const backends = claim.overrides?.[row.workload] ?? {subject: claim.subject, baseline: claim.baseline}
      const compared =
        claim.metric === 'tokens-per-query'
          ? `vs ${claim.baselineWorkload ?? '-'}`
          : backends.baseline === null
            ? `${backends.subject ?? ''} (${claim.model ?? ''})`
            : `${backends.subject} vs ${backends.baseline} (${claim.model ?? ''})`
      const measured = row.measured === null ? 'no data' : `${row.bound === 'at-least' ? '>=' : row.bound === 'at-most' ? '<=' : ''}${formatQuantity(row.measured, row.unit)}`
      const target = `${claim.unit !== 'x' && claim.metric !== 'capacity' && claim.metric !== 'decode-speed' && claim.metric !== 'tokens-per-query' ? '<= ' : '>= '}${formatQuantity(row.target, row.unit)}`
      rows.push([
        claim.id,
        `${row.workload}${row.claimed ? '' : ' (control)'}`,
        compared,
        measured,
        target,
        `${verdictLabel(row.verdict)}${row.gating ? ' [gate]' : ''}`,
      ])
    }
  }
  const lines = [`${report.title} (${report.claimsFile})`, '', ...alignColumns(rows, 'all')]
  const notes: string[] = []
  for (const claim of report.claims) {
    for (const row of claim.rows) if (row.verdict !== 'supported' || row.bound !== 'exact') notes.push(`${claim.id} on ${row.workload}: ${verdictLabel(row.verdict)}: ${row.reason}`)
  }
  if (notes.length > 0) lines.push('', 'why:', ...notes.map((n) => `  ${n}`))
  const sweeps = report.claims.filter((c) => c.sensitivity !== null)
  if (sweeps.length > 0) {
    lines.push('', 'sensitivity to the prefill:decode mix:')
    for (const claim of sweeps) {
      const s = claim.sensitivity!
      lines.push(`  ${claim.id} (${s.workload}, ${s.vary} tokens scaled): ${s.summary}`)
      const backends = claim.overrides?.[s.workload] ?? {subject: claim.subject, baseline: claim.baseline}
      const table: string[][] = [['factor', 'input/output', backends.subject ?? 'subject', backends.baseline ?? 'baseline', 'ratio', 'verdict']]
      for (const p of s.points) {
        table.push([
          `x${p.factor}`,
          formatQuantity(p.inputOutputRatio, ''),
          p.subject === null ? 'no data' : formatQuantity(p.subject, ''),
          p.baseline === null ? 'no data' : formatQuantity(p.baseline, ''),
          p.ratio === null ? 'no data' : formatQuantity(p.ratio, 'x'),
          verdictLabel(p.verdict),
        ])
      }
      lines.push(...alignColumns(table, 'all').map((l) => `    ${l}`))
    }
  }
  const kvSweeps = report.claims.filter((c) => (c.kvBandwidthSensitivity ?? null) !== null)
  if (kvSweeps.length > 0) {
    lines.push('', 'sensitivity to the achieved KV-link bandwidth:')
    for (const claim of kvSweeps) {
      const s = claim.kvBandwidthSensitivity!
      lines.push(`  ${claim.id} (${s.workload}, ${s.link}): ${s.summary}`)
      const backends = claim.overrides?.[s.workload] ?? {subject: claim.subject, baseline: claim.baseline}
      const table: string[][] = [['of line rate', 'GB/s', backends.subject ?? 'subject', backends.baseline ?? 'baseline', 'ratio', 'verdict', 'timeouts']]
      for (const p of s.points) {
        table.push([
          `${formatQuantity(p.fraction, '')}${p.fraction === s.defaultFraction ? ' (default)' : ''}`,
          formatQuantity(p.achievedBytesPerS / 1e9, ''),
          p.subject === null ? 'no data' : formatQuantity(p.subject, ''),
          p.baseline === null ? 'no data' : formatQuantity(p.baseline, ''),
          p.ratio === null ? 'no data' : formatQuantity(p.ratio, 'x'),
          verdictLabel(p.verdict),
          String(p.kvTransferTimeouts),
        ])
      }
      lines.push(...alignColumns(table, 'all').map((l) => `    ${l}`))
    }
  }
  const c = report.counts
  lines.push('', `${c.rows} results: ${c.supported} supported, ${c.notSupported} not supported, ${c.inconclusive} inconclusive`)
  const scope = report.gating === 'strict' ? 'every claim (--strict)' : 'claims marked gate: true'
  const gating = report.claims.some((claim) => claim.rows.some((r) => r.gating))
  if (!gating) lines.push('no gating claim: no claim is marked gate: true, so no verdict decides the exit code (--strict gates on every claim)')
  else lines.push(report.passed ? `gate passed (${scope})` : `gate FAILED: ${c.gatingFailures} result(s) of ${scope} not supported (exit ${report.exitCode})`)
  return lines.join('\n')
}

function verdictLabel(verdict: string): string {
  return verdict === 'not-supported' ? 'not supported' : verdict
}
