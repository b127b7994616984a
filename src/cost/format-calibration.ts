import {alignColumns} from '../common/text-table.js'
import {formatNumber} from './format-number.js'
import type {CalibrationReport, ErrorSummary} from './calibrate.js'

/** Per-point errors, the MAPE summary and the fitted constants of `tracebench calibrate`. */
export function formatCalibration(report: CalibrationReport): string {
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${formatNumber(value)}%`
  const lines = [`${report.model} on ${report.hardware} (${report.precision}), profile ${report.profile}, decode column ${report.decodeField}`]
  if (report.weightBytesCheck !== null)
    lines.push(
      `weights streamed per step: profile ${formatNumber(report.weightBytesCheck.profileBytes / 1e9, 3)} GB, model ${formatNumber(report.weightBytesCheck.modelBytes / 1e9, 3)} GB (${signed(report.weightBytesCheck.differencePct)})`,
    )
  lines.push('')
  const rows = [
    ['point', 'measured ms', 'catalog ms', 'error', 'fitted ms', 'error', ''],
    ...report.points.map((point) => [
      point.phase === 'prefill' ? `prefill ${point.tokens}` : `decode ${point.batch} x ${point.contextTokens}`,
      formatNumber(point.measuredMs, 3),
      formatNumber(point.catalogMs, 3),
      signed(point.catalogErrorPct),
      formatNumber(point.fittedMs, 3),
      signed(point.fittedErrorPct),
      point.inScope ? '' : '(out of scope)',
    ]),
  ]
  lines.push(...alignColumns(rows), '')
  const summary = (label: string, errors: ErrorSummary) => {
    const pct = (value: number | null) => (value === null ? 'no data' : `${formatNumber(value)}%`)
    return [label, pct(errors.decodeMapePct), pct(errors.decodeMaxAbsErrorPct), pct(errors.prefillMapePct), pct(errors.prefillMaxAbsErrorPct)]
  }
  lines.push(
    ...alignColumns([
      ['constants', 'decode MAPE', 'decode max', 'prefill MAPE', 'prefill max'],
      summary('catalog', report.summary.catalog),
      summary('fitted', report.summary.fitted),
    ]),
    '',
  )
  lines.push(...alignColumns([['constant', 'catalog', 'fitted'], ...report.constants.map((constant) => [constant.field, String(constant.catalog), String(constant.fitted)])]))
  return lines.join('\n')
}
