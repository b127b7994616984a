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
  const gemms = report.gemmPoints
  if (gemms.length > 0) {
    lines.push(`measured GEMMs of ${report.hardware} (X[m,k] @ W[k,n]; efficiency = the curve's fraction of peak for the GEMM's FLOPs):`)
    lines.push(
      ...alignColumns([
        ['gemm m x n x k', 'measured us', 'of peak', 'catalog eff', 'catalog us', 'error', 'fitted eff', 'fitted us', 'error', ''],
        ...gemms.map((point) => [
          `${point.precision} ${point.m} x ${point.n} x ${point.k}`,
          formatNumber(point.measuredUs, 1),
          formatNumber(point.measuredFractionOfPeak, 3),
          formatNumber(point.catalogEfficiency, 3),
          formatNumber(point.catalogUs, 1),
          signed(point.catalogErrorPct),
          formatNumber(point.fittedEfficiency, 3),
          formatNumber(point.fittedUs, 1),
          signed(point.fittedErrorPct),
          point.inFit ? '' : '(reported, not fitted)',
        ]),
      ]),
      '',
    )
  }
  const pct = (value: number | null | undefined) => (value === null || value === undefined ? 'no data' : `${formatNumber(value)}%`)
  const summary = (label: string, errors: ErrorSummary) => [
    label,
    pct(errors.decodeMapePct),
    pct(errors.decodeMaxAbsErrorPct),
    pct(errors.prefillMapePct),
    pct(errors.prefillMaxAbsErrorPct),
    ...(gemms.length > 0 ? [pct(errors.gemmMapePct), pct(errors.gemmMaxAbsErrorPct)] : []),
  ]
  lines.push(
    `compute model: ${report.computeModel === 'shape-aware' ? 'shape-aware (GEMM efficiency by shape, attention and activation traffic apart)' : 'one compute efficiency for every FLOP'}`,
    ...alignColumns([
      ['constants', 'decode MAPE', 'decode max', 'prefill MAPE', 'prefill max', ...(gemms.length > 0 ? ['GEMM MAPE', 'GEMM max'] : [])],
      summary('catalog', report.summary.catalog),
      summary('fitted', report.summary.fitted),
    ]),
    '',
  )
  lines.push(...alignColumns([['constant', 'catalog', 'fitted'], ...report.constants.map((constant) => [constant.field, String(constant.catalog), String(constant.fitted)])]))
  return lines.join('\n')
}
