import type {PreparedRun} from '../prepare-runs.js'
import {formatCell, omittedSection, roundTo, type ChartSection} from '../report-section.js'
import {buildTimelineSpec, type TimelinePoint} from '../specs/timeline.js'
import {pickLatencyRuns} from './latency.js'

/** The replay whose timeline is drawn: the first single run with samples, else the sweep point the latency chart uses. */
export function pickTimelineRun(runs: readonly PreparedRun[]): PreparedRun | null {
  const hasSamples = (r: PreparedRun): boolean => r.results.timeseries.tS.length > 0
  return runs.find((r) => r.origin === 'run' && hasSamples(r)) ?? pickLatencyRuns(runs).find(hasSamples) ?? runs.find(hasSamples) ?? null
}

function summarize(values: readonly number[]): {max: number; mean: number} {
  let max = -Infinity
  let sum = 0
  for (const v of values) {
    max = Math.max(max, v)
    sum += v
  }
  return {max, mean: sum / values.length}
}

/** The most runs the timeline's menu offers (each brings up to 256 samples into the page). */
export const maxTimelineRuns = 64

export function buildTimelineSection(runs: readonly PreparedRun[]): ChartSection {
  const id = 'timeline'
  const title = 'Replay timeline'
  const description =
    'A replay over time: the largest queue depth in each bucket, the time-weighted mean number of running sequences, and the largest KV-cache use. A queue that grows without draining means the backend is past its capacity. With several runs, the menu under the chart picks the one shown.'
  const first = pickTimelineRun(runs)
  if (first === null) {
    const reason = runs.length === 0 ? 'no results files were given.' : 'no run recorded state samples (the results have an empty timeseries).'
    return omittedSection(id, title, description, `Not drawn: ${reason}`)
  }
  // The default run first, then every other run with samples in report order.
  const withSamples = [first, ...runs.filter((r) => r !== first && r.results.timeseries.tS.length > 0)]
  const shown = withSamples.slice(0, maxTimelineRuns)
  const points: TimelinePoint[] = shown.flatMap((run) => {
    const ts = run.results.timeseries
    return ts.tS.map((t, i) => ({
      run: run.label,
      tS: roundTo(t, 6),
      queueDepth: roundTo(ts.queueDepth[i] as number, 3),
      batchSize: roundTo(ts.batchSize[i] as number, 3),
      kvUsagePct: roundTo((ts.kvUsage[i] as number) * 100, 3),
    }))
  })
  const left = withSamples.length - shown.length
  const subtitle = [
    shown.length === 1
      ? `run: ${first.label} (${first.results.trace.name}, rate scale ${first.results.trace.rateScale}x)`
      : `${shown.length} runs: pick one in the menu below (first shown: ${first.label})${left > 0 ? `; ${left} more run(s) not offered` : ''}`,
  ]
  const firstPoints = points.filter((p) => p.run === first.label)
  const ts = first.results.timeseries
  return {
    id,
    title,
    description,
    spec: buildTimelineSpec(points, {subtitle, bucketS: ts.bucketS, runs: shown.map((r) => r.label)}),
    omittedReason: null,
    table: {
      caption: 'Per run: the largest and the mean of the buckets',
      columns: [
        {label: 'run'},
        {label: 'queue max', numeric: true},
        {label: 'queue mean', numeric: true},
        {label: 'batch max', numeric: true},
        {label: 'batch mean', numeric: true},
        {label: 'KV max %', numeric: true},
      ],
      rows: shown.map((run) => {
        const r = run.results.timeseries
        const q = summarize(r.queueDepth)
        const b = summarize(r.batchSize)
        const kv = summarize(r.kvUsage)
        return [run.label, formatCell(q.max, 0), formatCell(q.mean, 1), formatCell(b.max, 1), formatCell(b.mean, 1), formatCell(kv.max * 100, 1)]
      }),
    },
    detailTable: {
      caption: `${first.label}: all ${firstPoints.length} buckets of ${formatCell(ts.bucketS, 2)} s`,
      columns: [{label: 'time (s)', numeric: true}, {label: 'queue depth', numeric: true}, {label: 'batch size', numeric: true}, {label: 'KV use (%)', numeric: true}],
      rows: firstPoints.map((p) => [formatCell(p.tS, 2), formatCell(p.queueDepth, 0), formatCell(p.batchSize, 2), formatCell(p.kvUsagePct, 1)]),
    },
  }
}
