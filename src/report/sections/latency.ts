import {decodeHistogram} from '../../metrics/histograms.js'
import type {MetricEntry} from '../../metrics/results-file.js'
import type {PreparedRun} from '../prepare-runs.js'
import {formatLatencyMs} from '../format-for-people.js'
import {omittedSection, roundTo, type ChartSection, type ReportTable} from '../report-section.js'
import {buildLatencyPercentileSpec, type LatencyCurvePoint} from '../specs/latency-percentiles.js'

export const latencyCurveMetrics = [
  {key: 'ttft', name: 'TTFT'},
  {key: 'tpot', name: 'TPOT'},
  {key: 'e2e', name: 'E2E'},
] as const

/** Grid step on the tail axis: 0.05 gives ~20 points per decade of the tail. */
const tailStep = 0.05
/** Never plot beyond p99.999: the histogram holds 3 significant digits, not infinite tails. */
const maxTailX = 5

/**
 * The percentile curve of one encoded HDR histogram: points from p0 (min) up to the
 * highest percentile the sample supports, 1 - 1/count (so 200 samples stop at p99.5,
 * where the curve reaches the maximum), evenly spaced on the tail axis.
 */
export function computePercentileCurve(entry: MetricEntry, label: string): Array<{percentile: number; tailX: number; valueMs: number}> {
  if (entry.count === 0) return []
  const histogram = decodeHistogram(entry.histogram, label)
  const lastX = Math.min(Math.log10(Math.max(entry.count, 1)), maxTailX)
  const xs: number[] = []
  for (let i = 0; i * tailStep < lastX - 1e-9; i++) xs.push(i * tailStep)
  xs.push(lastX)
  return xs.map((x) => {
    // The last point is exactly 1 - 1/count (not the rounded x), so it reaches the sample's top rank.
    const percentile = x === lastX && lastX < maxTailX ? 100 * (1 - 1 / entry.count) : 100 * (1 - 10 ** -x)
    return {percentile: roundTo(percentile, 6), tailX: roundTo(x, 4), valueMs: roundTo(histogram.getValueAtPercentile(percentile) / 1000, 3)}
  })
}

/**
 * Which runs get a curve: every single replay, and for each backend of a sweep one point:
 * the highest load that met its SLOs, or the lowest load when none did (or there were no
 * SLOs). Forty curves of one sweep would hide each other.
 */
export function pickLatencyRuns(runs: readonly PreparedRun[]): PreparedRun[] {
  const picked = runs.filter((r) => r.origin === 'run')
  const bySweepSeries = new Map<string, PreparedRun[]>()
  for (const r of runs) {
    if (r.origin !== 'sweep') continue
    const key = `${r.sweepIndex}\u0000${r.series}`
    bySweepSeries.set(key, [...(bySweepSeries.get(key) ?? []), r])
  }
  for (const points of bySweepSeries.values()) {
    const byLoad = [...points].sort((a, b) => (a.offeredReqPerS ?? a.results.trace.rateScale) - (b.offeredReqPerS ?? b.results.trace.rateScale))
    const met = byLoad.filter((p) => p.slosMet === true)
    picked.push(met.length > 0 ? (met[met.length - 1] as PreparedRun) : (byLoad[0] as PreparedRun))
  }
  return picked
}

export function buildLatencySection(runs: readonly PreparedRun[]): ChartSection {
  const id = 'latency'
  const title = 'Latency percentile curves'
  const description =
    'TTFT, TPOT and E2E at every percentile, read from the HDR histograms. The x axis spreads the tail (-log10(1 - p)), so p90, p99 and p99.9 are evenly spaced; each curve ends at the highest percentile its sample supports (1 - 1/count). Lower is better.'
  const chosen = pickLatencyRuns(runs)
  const points: LatencyCurvePoint[] = []
  const rows: string[][] = []
  for (const run of chosen) {
    for (const m of latencyCurveMetrics) {
      const entry = run.results.metrics[m.key]
      for (const p of computePercentileCurve(entry, `${run.path ?? run.label}: metrics.${m.key}.histogram`)) {
        points.push({run: run.label, metric: m.name, ...p})
      }
      rows.push([run.label, m.name, formatLatencyMs(entry.p50), formatLatencyMs(entry.p90), formatLatencyMs(entry.p99), formatLatencyMs(entry.p999)])
    }
  }
  if (points.length === 0) {
    const reason = chosen.length === 0 ? 'no results files were given.' : 'no TTFT, TPOT or E2E data in the results (no request completed).'
    return omittedSection(id, title, description, `Not drawn: ${reason}`)
  }
  const metrics = latencyCurveMetrics.map((m) => m.name).filter((name) => points.some((p) => p.metric === name))
  const runLabels = chosen.map((r) => r.label).filter((label) => points.some((p) => p.run === label))
  const sweepNote = chosen.some((r) => r.origin === 'sweep') ? 'Sweeps: the highest load meeting the SLOs per backend' : undefined
  const table: ReportTable = {
    caption: 'Latency summary (ms)',
    columns: [{label: 'run'}, {label: 'metric'}, {label: 'p50', numeric: true}, {label: 'p90', numeric: true}, {label: 'p99', numeric: true}, {label: 'p99.9', numeric: true}],
    rows,
  }
  const detailTable: ReportTable = {
    caption: `All ${points.length} plotted points`,
    columns: [{label: 'run'}, {label: 'metric'}, {label: 'percentile (%)', numeric: true}, {label: 'latency (ms)', numeric: true}],
    rows: points.map((p) => [p.run, p.metric, String(roundTo(p.percentile, 4)), formatLatencyMs(p.valueMs)]),
  }
  return {
    id,
    title,
    description,
    spec: buildLatencyPercentileSpec(points, {runs: runLabels, metrics, subtitle: sweepNote}),
    omittedReason: null,
    table,
    detailTable,
  }
}
