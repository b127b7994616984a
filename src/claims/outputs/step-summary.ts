import {appendFile} from 'node:fs/promises'
import type {GateReport} from '../gate.js'
import {formatMeasured} from '../gate.js'

/**
 * The Markdown summary CI pages show (GitHub's job summary, a PR comment). Everything
 * taken from a file (paths, trace and backend names, expressions) is escaped so it
 * cannot break the table or inject markup.
 */

/** Text for a Markdown table cell: pipes, backslashes, HTML and line breaks neutralised. */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[*_`[\]]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ')
}

export function gateToMarkdown(report: GateReport): string {
  const lines: string[] = []
  const status = report.passed ? '✅ passed' : `❌ failed: ${report.failed} of ${report.checks.length} checks`
  lines.push(`### tracebench gate: ${status}`, '')
  const r = report.results
  lines.push(
    `Results: ${escapeMarkdownCell(r.path)} (trace ${escapeMarkdownCell(r.trace)}, backend ${escapeMarkdownCell(r.backend)}, model ${escapeMarkdownCell(r.model)}, rate scale ${r.rateScale}, seed ${r.seed})`,
  )
  if (report.baseline !== null) lines.push(`Baseline: ${escapeMarkdownCell(report.baseline.path)}`)
  lines.push('')
  const hasBaseline = report.checks.some((c) => c.kind === 'regression')
  lines.push(hasBaseline ? '| | check | measured | baseline | change | limit | reason |' : '| | check | measured | limit | reason |')
  lines.push(hasBaseline ? '|---|---|---:|---:|---:|---|---|' : '|---|---|---:|---|---|')
  for (const check of report.checks) {
    const cells = [check.passed ? '✅' : '❌', escapeMarkdownCell(check.name), escapeMarkdownCell(formatMeasured(check.actual, check.unit))]
    if (hasBaseline) {
      cells.push(check.baseline === undefined ? '' : escapeMarkdownCell(formatMeasured(check.baseline, check.unit)))
      cells.push(check.changePct === undefined || check.changePct === null ? '' : `${check.changePct >= 0 ? '+' : ''}${check.changePct.toFixed(2)}%`)
    }
    cells.push(escapeMarkdownCell(check.limit), escapeMarkdownCell(check.reason ?? ''))
    lines.push(`| ${cells.join(' | ')} |`)
  }
  for (const warning of report.warnings) lines.push('', `> Note: ${escapeMarkdownCell(warning)}`)
  return `${lines.join('\n')}\n`
}

/** Appends to `$GITHUB_STEP_SUMMARY` when it is set (GitHub Actions); returns the path written, or null. */
export async function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const path = env.GITHUB_STEP_SUMMARY
  if (path === undefined || path === '') return null
  await appendFile(path, `${markdown}\n`, 'utf8')
  return path
}
