import {alignColumns} from '../common/text-table.js'
import {formatMeasured, type GateReport} from './gate.js'

/** The text table `tracebench gate` prints: one line per check, failures with their reason. */
export function formatGateTable(report: GateReport): string {
  const rows: string[][] = [['', 'check', 'measured', 'limit']]
  for (const check of report.checks) {
    const measured = formatMeasured(check.actual, check.unit)
    const baseline = check.baseline === undefined ? '' : ` (baseline ${formatMeasured(check.baseline, check.unit)})`
    rows.push([check.passed ? 'PASS' : 'FAIL', check.name, measured + baseline, check.limit])
  }
  const lines = alignColumns(rows, 'all')
  const out = [`gate on ${report.results.path} (${report.results.backend}, ${report.results.model}, ${report.results.trace})`, ...lines]
  const failures = report.checks.filter((c) => !c.passed)
  if (failures.length > 0) {
    out.push('')
    for (const check of failures) out.push(`FAIL ${check.name}: ${check.reason ?? 'failed'}`)
  }
  for (const warning of report.warnings) out.push(`note: ${warning}`)
  out.push('', report.passed ? `passed: ${report.checks.length} checks` : `failed: ${report.failed} of ${report.checks.length} checks`)
  return out.join('\n')
}
