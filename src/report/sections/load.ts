import type {PreparedRun} from '../prepare-runs.js'
import type {ReportCapacity} from '../report-inputs.js'
import {formatCell, formatPercentCell, omittedSection, roundTo, type ChartSection} from '../report-section.js'
import {buildInteractivitySpec, type InteractivityPoint} from '../specs/interactivity.js'
import {buildThroughputLoadSpec, sloStatusDomain, type CapacityMark, type LoadPoint} from '../specs/throughput-load.js'

interface LoadAxis {
  title: string
  unit: string
  of(run: PreparedRun): number
}

/** Offered req/s when every run has a trace span; else the rate scale (a dimensionless multiplier). */
export function chooseLoadAxis(runs: readonly PreparedRun[]): LoadAxis {
  if (runs.every((r) => r.offeredReqPerS !== null)) {
    return {title: 'offered load (req/s)', unit: 'req/s', of: (r) => r.offeredReqPerS as number}
  }
  return {title: 'offered load (trace rate scale, x)', unit: 'x', of: (r) => r.results.trace.rateScale}
}

function sloStatus(run: PreparedRun): string {
  return run.slosMet === null ? sloStatusDomain[2] : run.slosMet ? sloStatusDomain[0] : sloStatusDomain[1]
}

export function listSeries(runs: readonly PreparedRun[]): string[] {
  return [...new Set(runs.map((r) => r.series))]
}

/**
 * Capacity per backend: a capacity-search result when one was given for it (and it has a
 * number: found or a lower bound), otherwise the highest swept load whose run met every
 * SLO, labelled as that and not as a capacity: a sweep point is one replay of the trace,
 * not a steady-state measurement, and the capacity lies somewhere above it, below the next
 * swept load.
 */
export function computeCapacityMarks(runs: readonly PreparedRun[], capacity: readonly ReportCapacity[], axis: LoadAxis): CapacityMark[] {
  const marks: CapacityMark[] = []
  for (const series of listSeries(runs)) {
    const points = runs.filter((r) => r.series === series)
    const given = capacity.find((c) => c.backend === series && c.status !== 'not-reachable' && c.status !== 'too-short')
    if (given !== undefined) {
      const load = axis.unit === 'req/s' ? capacityReqPerS(given, points) : (given.rateScale ?? null)
      if (load !== null) {
        const atLeast = given.lowerBound === true ? '≥ ' : ''
        const tokens = given.outputTokensPerS !== undefined && given.outputTokensPerS !== null ? ` (${formatCell(given.outputTokensPerS, 0)} tok/s)` : ''
        marks.push({series, load: roundTo(load, 6), label: `capacity ${atLeast}${formatCell(load, 2)} ${axis.unit}${tokens}`, labelYPx: 0})
        continue
      }
    }
    const met = points.filter((p) => p.slosMet === true)
    if (met.length === 0 || points.length < 2) continue
    const best = Math.max(...met.map((p) => axis.of(p)))
    marks.push({series, load: roundTo(best, 6), label: `highest passing swept load ${formatCell(best, 2)} ${axis.unit}`, labelYPx: 0, swept: true})
  }
  // Stack the labels so two backends with capacity at similar loads stay readable.
  return marks.map((m, i) => ({...m, labelYPx: 10 + 14 * i}))
}

function capacityReqPerS(capacity: ReportCapacity, points: readonly PreparedRun[]): number | null {
  if (capacity.offeredReqPerS !== undefined && capacity.offeredReqPerS !== null) return capacity.offeredReqPerS
  if (capacity.rateScale === undefined || capacity.rateScale === null) return null
  // The trace's rate at scale 1, from any point of the series: offered = base rate x scale.
  const ref = points.find((p) => p.offeredReqPerS !== null)
  return ref === undefined ? null : ((ref.offeredReqPerS as number) / ref.results.trace.rateScale) * capacity.rateScale
}

function unionSlos(runs: readonly PreparedRun[]): string[] {
  return [...new Set(runs.flatMap((r) => r.results.slos))].sort()
}

export function buildThroughputLoadSection(runs: readonly PreparedRun[], capacity: readonly ReportCapacity[]): ChartSection {
  const id = 'throughput-load'
  const title = 'Throughput and goodput versus offered load'
  const description =
    'Output tokens per second each backend delivered as the offered load grows (solid), and the part of it from requests that met every SLO (goodput, dashed). Point shapes show whether the run met all its SLOs. A dotted rule marks the capacity when a capacity search was given (the highest sustained load meeting every SLO), or else the highest swept load that met them, labelled as such.'
  const seriesWithCurve = listSeries(runs).filter((s) => new Set(runs.filter((r) => r.series === s).map((r) => r.results.trace.rateScale)).size >= 2)
  if (seriesWithCurve.length === 0) {
    return omittedSection(id, title, description, 'Not drawn: no backend was run at two or more load levels. Run `tracebench sweep` (or give results at several rate scales) to see this chart.')
  }
  const used = runs.filter((r) => r.results.counters.outputTokensPerS !== null)
  const axis = chooseLoadAxis(used)
  const points: LoadPoint[] = []
  for (const r of used) {
    const group = r.origin === 'sweep' ? `sweep ${r.sweepIndex ?? 0}` : `run ${r.label}`
    const base = {series: r.series, run: r.label, group, load: roundTo(axis.of(r), 6), slo: sloStatus(r)}
    points.push({...base, kind: 'throughput', tokPerS: roundTo(r.results.counters.outputTokensPerS as number, 3)})
    const goodput = r.results.counters.goodput?.outputTokensPerS
    if (goodput !== undefined && goodput !== null) points.push({...base, kind: 'goodput', tokPerS: roundTo(goodput, 3)})
  }
  const marks = computeCapacityMarks(used, capacity, axis)
  const slos = unionSlos(used)
  const subtitle = [slos.length > 0 ? `SLOs: ${slos.join(', ')}` : 'No SLOs: goodput and capacity need SLOs (replay --slo)']
  const sorted = [...used].sort((a, b) => a.series.localeCompare(b.series) || axis.of(a) - axis.of(b))
  return {
    id,
    title,
    description,
    spec: buildThroughputLoadSpec(points, marks, {seriesDomain: listSeries(runs), loadTitle: axis.title, subtitle}),
    omittedReason: null,
    table: {
      caption: `Per load level (${axis.unit === 'x' ? 'rate scale' : 'req/s'})`,
      columns: [
        {label: 'backend'},
        {label: `load (${axis.unit})`, numeric: true},
        {label: 'throughput tok/s', numeric: true},
        {label: 'goodput tok/s', numeric: true},
        {label: 'good req.', numeric: true},
        {label: 'SLOs'},
      ],
      rows: [
        ...sorted.map((r) => [
          r.series,
          formatCell(axis.of(r), 2),
          formatCell(r.results.counters.outputTokensPerS, 1),
          formatCell(r.results.counters.goodput?.outputTokensPerS ?? null, 1),
          formatPercentCell(r.results.counters.goodput?.ratio ?? null),
          r.slosMet === null ? 'none' : r.slosMet ? 'met' : `missed ${r.sloFailure ?? ''}`,
        ]),
      ],
    },
    notes: [
      ...marks.map((m) => `${m.series}: ${m.label}`),
      ...(marks.some((m) => m.swept === true)
        ? [
            'A highest passing swept load is not a capacity: it is one replay of the trace (not a steady-state window), and the capacity lies between it and the next swept load. `tracebench capacity` measures one.',
          ]
        : []),
      ...(marks.length === 0 && slos.length > 0 ? ['No backend met its SLOs at any swept load, so no capacity is marked.'] : []),
    ],
  }
}

export function buildInteractivitySection(runs: readonly PreparedRun[]): ChartSection {
  const id = 'interactivity'
  const title = 'Per-user decode speed versus system throughput'
  const description =
    'The interactivity trade-off: each point is one run, x the output tokens/s of the whole system, y the decode speed one user sees (1 / TPOT; median, bar from the slowest 10% to the fastest 10% of users). Points of one backend are joined in order of load. Up and to the right is better.'
  const points: InteractivityPoint[] = []
  const rows: string[][] = []
  const usable = runs.filter((r) => r.results.userSpeed.p50 !== null && r.results.counters.outputTokensPerS !== null)
  const axis = chooseLoadAxis(usable)
  for (const r of usable) {
    const s = r.results.userSpeed
    const p50 = s.p50 as number
    points.push({
      series: r.series,
      run: r.label,
      load: roundTo(axis.of(r), 6),
      group: r.origin === 'sweep' ? `sweep ${r.sweepIndex ?? 0}` : `run ${r.label}`,
      systemTokPerS: roundTo(r.results.counters.outputTokensPerS as number, 3),
      userP10: roundTo(s.p10 ?? p50, 3),
      userP50: roundTo(p50, 3),
      userP90: roundTo(s.p90 ?? p50, 3),
    })
    const fp = r.results.backend.footprint
    rows.push([
      r.label,
      formatCell(r.results.counters.outputTokensPerS, 1),
      formatCell(fp.systems > 0 ? (r.results.counters.outputTokensPerS as number) / fp.systems : null, 1),
      formatCell(s.p10, 1),
      formatCell(s.p50, 1),
      formatCell(s.p90, 1),
    ])
  }
  if (points.length === 0) {
    return omittedSection(id, title, description, 'Not drawn: no run has per-user speed data (no request produced two or more output tokens).')
  }
  return {
    id,
    title,
    description,
    spec: buildInteractivitySpec(points, {seriesDomain: listSeries(runs), subtitle: ['median per-user speed; bars span p10 to p90 of users']}),
    omittedReason: null,
    table: {
      caption: 'Per run (tok/s)',
      columns: [
        {label: 'run'},
        {label: 'system tok/s', numeric: true},
        {label: 'tok/s per system', numeric: true},
        {label: 'user p10', numeric: true},
        {label: 'user p50', numeric: true},
        {label: 'user p90', numeric: true},
      ],
      rows,
    },
  }
}
