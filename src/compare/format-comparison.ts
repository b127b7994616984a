import {formatJunit, type JunitCase} from '../claims/outputs/junit.js'
import {escapeMarkdownCell} from '../claims/outputs/step-summary.js'
import type {BencherMetricFormat} from '../claims/outputs/bmf.js'
import {alignColumns} from '../common/text-table.js'
import {formatValue} from '../metrics/summary-table.js'
import type {ComparisonReport, ComparisonRow} from './compare-results.js'

function signed(value: number | null, decimals = 2): string {
  if (value === null) return 'no data'
  return `${value >= 0 ? '+' : ''}${value.toFixed(decimals)}`
}

function cells(row: ComparisonRow): string[] {
  return [row.key, formatValue(row.base, 2), formatValue(row.other, 2), `${signed(row.difference)} ${row.unit}`, row.relativePct === null ? 'no data' : `${signed(row.relativePct, 1)}%`]
}

function describe(report: ComparisonReport): string[] {
  const side = (label: string, s: ComparisonReport['base']) => `${label}: ${s.path} (${s.backend}, ${s.kind}, ${s.model}; ${s.completed} of ${s.requests} requests completed)`
  const lines = [side('BASE ', report.base), side('OTHER', report.other), `trace: ${report.sameTrace ? report.traceCheck : `DIFFERENT (${report.traceCheck})`}`]
  if (report.configDifferences.length > 0) lines.push(`differences in configuration: ${report.configDifferences.join('; ')}`)
  for (const invalid of report.invalidRuns) lines.push(`WARNING: ${invalid}: its numbers are not a measurement`)
  return lines
}

/** The terminal form: what was compared, the error table, MAPE, the most different requests, the limits. */
export function formatComparison(report: ComparisonReport): string {
  const lines = describe(report)
  lines.push('', ...alignColumns([['metric', 'BASE', 'OTHER', 'difference', 'relative'], ...report.rows.map(cells)]))
  const mape = Object.entries(report.mape).map(([metric, value]) => `${metric} ${value === null ? 'no data' : `${value.toFixed(1)}%`}`)
  lines.push('', `MAPE over p${report.mapePercentiles.join('/')}: ${mape.join(', ')}`)
  if (report.requests !== null) {
    const r = report.requests
    lines.push('', `per request (${r.matched} matched by index): TTFT MAPE ${r.ttftMapePct === null ? 'no data' : `${r.ttftMapePct.toFixed(1)}%`}, E2E MAPE ${r.e2eMapePct === null ? 'no data' : `${r.e2eMapePct.toFixed(1)}%`}`)
    if (r.top.length > 0) {
      lines.push(
        ...alignColumns([
          ['request', 'TTFT BASE ms', 'TTFT OTHER ms', 'E2E BASE ms', 'E2E OTHER ms'],
          ...r.top.map((d) => [String(d.index), formatValue(d.baseTtftMs, 2), formatValue(d.otherTtftMs, 2), formatValue(d.baseE2eMs, 2), formatValue(d.otherE2eMs, 2)]),
        ]),
      )
    }
  }
  if (report.checks.length > 0) {
    lines.push('')
    for (const check of report.checks) lines.push(`${check.passed ? 'PASS' : 'FAIL'}  ${check.limit}${check.reason === undefined ? '' : `: ${check.reason}`}`)
    lines.push(report.passed ? 'every error limit holds' : `${report.checks.filter((c) => !c.passed).length} of ${report.checks.length} error limits exceeded`)
  }
  return lines.join('\n')
}

export function comparisonToMarkdown(report: ComparisonReport): string {
  const status = report.checks.length === 0 ? '' : report.passed ? ': ✅ within limits' : ': ❌ limits exceeded'
  const lines = [`### tracebench compare${status}`, '', ...describe(report).map((l) => `${escapeMarkdownCell(l)}  `), '']
  lines.push('| metric | BASE | OTHER | difference | relative |', '|---|---:|---:|---:|---:|')
  for (const row of report.rows) lines.push(`| ${cells(row).map(escapeMarkdownCell).join(' | ')} |`)
  lines.push('', `MAPE: ${Object.entries(report.mape).map(([m, v]) => `${m} ${v === null ? 'no data' : `${v.toFixed(1)}%`}`).join(', ')}`)
  if (report.checks.length > 0) {
    lines.push('', '| | limit | error | allowed |', '|---|---|---:|---:|')
    for (const c of report.checks) lines.push(`| ${c.passed ? '✅' : '❌'} | ${escapeMarkdownCell(c.limit)} | ${formatValue(c.error, 3)} | ${formatValue(c.allowed, 3)} |`)
  }
  return `${lines.join('\n')}\n`
}

export function comparisonToJunit(report: ComparisonReport): string {
  const cases: JunitCase[] = report.checks.map((c) => ({
    name: c.limit,
    classname: 'tracebench.compare',
    ...(c.passed ? {} : {failure: {message: c.reason ?? 'failed', type: 'error-limit'}}),
  }))
  return formatJunit([{name: `tracebench compare: ${report.base.path} vs ${report.other.path}`, properties: {base: report.base.path, other: report.other.path}, cases}], 'tracebench compare')
}

/** Bencher Metric Format: the relative error of each compared number (percent) and each MAPE. */
export function comparisonToBmf(report: ComparisonReport): BencherMetricFormat {
  const measures: Record<string, {value: number}> = {}
  for (const row of report.rows) if (row.relativePct !== null) measures[`${row.key}-error-pct`] = {value: row.relativePct}
  for (const [metric, value] of Object.entries(report.mape)) if (value !== null) measures[`${metric}-mape-pct`] = {value}
  return {[`${report.other.backend} vs ${report.base.backend} (${report.base.trace})`]: measures}
}
