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

export function buildTimelineSection(runs: readonly PreparedRun[]): ChartSection {
  const id = 'timeline'
  const title = 'Replay timeline'
  const description =
    'One replay over time: the largest queue depth in each bucket, the time-weighted mean number of running sequences, and the largest KV-cache use. A queue that grows without draining means the backend is past its capacity.'
  const run = pickTimelineRun(runs)
  if (run === null) {
    const reason = runs.length === 0 ? 'no results files were given.' : 'no run recorded state samples (the results have an empty timeseries).'
    return omittedSection(id, title, description, `Not drawn: ${reason}`)
  }
  const ts = run.results.timeseries
  const points: TimelinePoint[] = ts.tS.map((t, i) => ({
    tS: roundTo(t, 6),
    queueDepth: roundTo(ts.queueDepth[i] as number, 3),
    batchSize: roundTo(ts.batchSize[i] as number, 3),
    kvUsagePct: roundTo((ts.kvUsage[i] as number) * 100, 3),
  }))
  const q = summarize(ts.queueDepth)
  const b = summarize(ts.batchSize)
  const kv = summarize(ts.kvUsage)
  const others = runs.filter((r) => r !== run && r.results.timeseries.tS.length > 0).length
  const subtitle = [`run: ${run.label} (${run.results.trace.name}, rate scale ${run.results.trace.rateScale}x)${others > 0 ? `; ${others} other run(s) not shown` : ''}`]
  return {
    id,
    title,
    description,
    spec: buildTimelineSpec(points, {subtitle, bucketS: ts.bucketS}),
    omittedReason: null,
    table: {
      caption: `${run.label}: ${points.length} buckets of ${formatCell(ts.bucketS, 2)} s`,
      columns: [{label: 'series'}, {label: 'max', numeric: true}, {label: 'mean of buckets', numeric: true}],
      rows: [
        ['queue depth (requests)', formatCell(q.max, 0), formatCell(q.mean, 1)],
        ['batch size (sequences)', formatCell(b.max, 1), formatCell(b.mean, 1)],
        ['KV-cache use (%)', formatCell(kv.max * 100, 1), formatCell(kv.mean * 100, 1)],
      ],
    },
    detailTable: {
      caption: `All ${points.length} buckets`,
      columns: [{label: 'time (s)', numeric: true}, {label: 'queue depth', numeric: true}, {label: 'batch size', numeric: true}, {label: 'KV use (%)', numeric: true}],
      rows: points.map((p) => [formatCell(p.tS, 2), formatCell(p.queueDepth, 0), formatCell(p.batchSize, 2), formatCell(p.kvUsagePct, 1)]),
    },
  }
}
