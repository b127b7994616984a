import type {ReportCapacity} from '../report-inputs.js'
import {formatNumberForPeople} from '../format-for-people.js'
import {formatCell, omittedSection, roundTo, type ChartSection} from '../report-section.js'
import {buildCapacityFootprintSpec, buildCapacitySearchSpec, type CapacitySearchPoint, type FootprintBar} from '../specs/capacity.js'

const notGiven = 'Not drawn: no capacity search was given (run `tracebench capacity`, then pass its folder or capacity.json).'

function searchesOf(capacity: readonly ReportCapacity[]): ReportCapacity[] {
  return capacity.filter((c) => (c.evaluations?.length ?? 0) > 0)
}

function seriesDomain(capacity: readonly ReportCapacity[]): string[] {
  return [...new Set(capacity.map((c) => c.backend))]
}

/** `x67.5`, `≥ x1024`, `not reachable`, `no number`: a search's answer in a word or two. */
export function describeCapacityCell(c: ReportCapacity): string {
  switch (c.status) {
    case 'not-reachable':
      return 'not reachable (0)'
    case 'too-short':
      return 'no number: trace too short'
    case 'lower-bound':
      return c.rateScale === undefined || c.rateScale === null ? 'no data' : `≥ x${formatNumberForPeople(c.rateScale)}`
    default:
      return c.rateScale === undefined || c.rateScale === null ? 'no data' : `x${formatNumberForPeople(c.rateScale)}`
  }
}

function outcomeOf(e: NonNullable<ReportCapacity['evaluations']>[number]): string {
  if (e.passed) return 'passed'
  return e.reasons.some((r) => r.startsWith('not sustained')) ? 'not sustained' : 'SLO missed'
}

/** Every point of each capacity search: delivered against offered load, and the output tokens delivered. */
export function buildCapacitySearchSection(capacity: readonly ReportCapacity[]): ChartSection {
  const id = 'capacity-search'
  const title = 'Capacity searches: load delivered versus load offered'
  const description =
    'Each point is one load a capacity search measured in a steady window (the trace repeated, warm-up not scored). Left: requests/s the backend delivered in the window against those offered; on the solid line all of the load was delivered, below the dashed one less than the share a sustained load needs. Right: output tokens/s delivered. The ringed point is the capacity: the highest load that was sustained with every SLO met.'
  const searches = searchesOf(capacity)
  if (searches.length === 0) return omittedSection(id, title, description, notGiven)
  const points: CapacitySearchPoint[] = []
  for (const c of searches) {
    for (const e of c.evaluations ?? []) {
      if (e.offeredReqPerS === null || e.deliveredReqPerS === null || !(e.offeredReqPerS > 0)) continue
      points.push({
        series: c.backend,
        rateScale: e.rateScale,
        offered: roundTo(e.offeredReqPerS, 4),
        delivered: roundTo(Math.max(e.deliveredReqPerS, 1e-3), 4),
        tokPerS: e.outputTokensPerS === null ? null : roundTo(e.outputTokensPerS, 2),
        goodTokPerS: e.goodputOutputTokensPerS === null || !e.passed ? null : roundTo(e.goodputOutputTokensPerS, 2),
        outcome: outcomeOf(e),
        capacity: (c.status === 'found' || c.status === 'lower-bound') && e.rateScale === c.rateScale,
        reason: e.passed ? 'every SLO held and the load was sustained' : e.reasons.join('; '),
      })
    }
  }
  if (points.length === 0) return omittedSection(id, title, description, 'Not drawn: the capacity files have no offered and delivered rates per point (they were written before steady-state windows).')
  const ratio = searches.find((c) => c.minDeliveredRatio !== undefined && c.minDeliveredRatio !== null)?.minDeliveredRatio ?? 0.95
  const slos = [...new Set(searches.flatMap((c) => c.slos ?? []))].sort()
  return {
    id,
    title,
    description,
    spec: buildCapacitySearchSpec(points, {
      seriesDomain: seriesDomain(searches),
      minDeliveredRatio: ratio,
      subtitle: [`SLOs: ${slos.join(', ') || 'none'}; sustained: delivered ≥ ${Math.round(ratio * 100)}% of offered`],
    }),
    omittedReason: null,
    layout: 'below',
    table: {
      caption: 'Per backend',
      columns: [{label: 'backend'}, {label: 'capacity'}, {label: 'offered req/s', numeric: true}, {label: 'delivered req/s', numeric: true}, {label: 'tok/s', numeric: true}, {label: 'points', numeric: true}],
      rows: searches.map((c) => {
        const at = (c.evaluations ?? []).find((e) => e.rateScale === c.rateScale && e.passed)
        return [
          c.backend,
          describeCapacityCell(c),
          formatCell(at?.offeredReqPerS ?? null, 2),
          formatCell(at?.deliveredReqPerS ?? null, 2),
          formatCell(c.outputTokensPerS ?? null, 0),
          String(c.evaluations?.length ?? 0),
        ]
      }),
    },
    notes: searches.map((c) => `${c.backend}: ${c.message ?? describeCapacityCell(c)}`),
    detailTable: {
      caption: `All ${points.length} points`,
      columns: [{label: 'backend'}, {label: 'rate scale', numeric: true}, {label: 'offered req/s', numeric: true}, {label: 'delivered req/s', numeric: true}, {label: 'point'}, {label: 'why'}],
      rows: [...points].sort((a, b) => a.series.localeCompare(b.series) || a.rateScale - b.rateScale).map((p) => [p.series, formatNumberForPeople(p.rateScale), formatCell(p.offered, 2), formatCell(p.delivered, 2), p.outcome, p.reason]),
    },
  }
}

const footprintUnits = [
  {key: 'rack', label: 'per rack'},
  {key: 'kW', label: 'per kW'},
  {key: 'system', label: 'per system'},
  {key: 'usdPerHour', label: 'per $/h'},
] as const

/** Capacity per rack, kW, system and $/h, one bar per backend in each panel. */
export function buildCapacityFootprintSection(capacity: readonly ReportCapacity[]): ChartSection {
  const id = 'capacity-footprint'
  const title = 'Capacity per unit of footprint'
  const description =
    'Each backend\'s capacity (output tokens/s at the highest sustained load meeting every SLO; with a per-user speed floor, the tokens of requests that met it) divided by what the backend occupies: racks, kW, systems and, where priced, dollars per hour. A capacity of 0 (SLOs not reachable) is a bar of 0; a search with no number has no bar.'
  const withFigures = capacity.filter((c) => c.perFootprint !== undefined && c.perFootprint !== null && c.status !== 'too-short')
  if (withFigures.length === 0) return omittedSection(id, title, description, notGiven)
  const units = footprintUnits.filter((u) => withFigures.some((c) => c.perFootprint?.[u.key] !== null && c.perFootprint?.[u.key] !== undefined))
  const bars: FootprintBar[] = []
  for (const c of withFigures) {
    for (const u of units) {
      const value = c.perFootprint?.[u.key]
      if (value === null || value === undefined) continue
      bars.push({series: c.backend, unit: u.label, value: roundTo(value, 3), lowerBound: c.status === 'lower-bound'})
    }
  }
  const floor = withFigures.some((c) => c.highSpeed === true)
  return {
    id,
    title,
    description,
    spec: buildCapacityFootprintSpec(bars, {seriesDomain: seriesDomain(withFigures), units: units.map((u) => u.label), tokensTitle: floor ? 'high-speed output tok/s' : 'output tok/s'}),
    omittedReason: null,
    layout: 'below',
    table: {
      caption: `Output tok/s${floor ? ' (high-speed)' : ''} per unit`,
      columns: [{label: 'backend'}, {label: 'capacity'}, {label: 'tok/s', numeric: true}, ...units.map((u) => ({label: u.label, numeric: true}))],
      rows: withFigures.map((c) => [c.backend, describeCapacityCell(c), formatCell(c.outputTokensPerS ?? null, 0), ...units.map((u) => formatCell(c.perFootprint?.[u.key] ?? null, 1))]),
    },
    notes: withFigures.filter((c) => c.footprint !== undefined && c.footprint !== null).map((c) => `${c.backend}: ${c.footprint}`),
  }
}
