import {alignColumns} from '../common/text-table.js'
import type {BackendFit} from './fit-backend.js'

/** The fit's constants (before and after) and the measured against simulated percentiles. */
export function formatBackendFit(fit: BackendFit): string {
  const constants = alignColumns([['hardware', 'constant', 'before', 'fitted', 'change'], ...fit.parameters.map((p) => [p.hardware, p.field, p.before.toPrecision(4), p.after.toPrecision(4), `${(((p.after - p.before) / p.before) * 100).toFixed(1)}%`])])
  const points = alignColumns([
    ['metric', 'measured ms', 'before ms', 'error', 'fitted ms', 'error'],
    ...fit.points.map((p) => [`${p.metric}.p${p.percentile}`, p.measuredMs.toFixed(2), p.beforeMs.toFixed(2), pct(p.beforeMs, p.measuredMs), p.afterMs.toFixed(2), pct(p.afterMs, p.measuredMs)]),
  ])
  return [...constants, '', ...points, '', `MAPE over these points: ${fit.mapeBeforePct.toFixed(2)}% before, ${fit.mapeAfterPct.toFixed(2)}% after (${fit.replays} simulated replays)`].join('\n')
}

function pct(value: number, reference: number): string {
  const e = ((value - reference) / reference) * 100
  return `${e >= 0 ? '+' : ''}${e.toFixed(1)}%`
}
