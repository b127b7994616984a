import type {ReportComparison} from '../report-inputs.js'
import {formatCell, omittedSection, roundTo, type ChartSection} from '../report-section.js'
import {chartConfig, chartTitle, vegaLiteSchemaUrl, type TopLevelSpec} from '../specs/common.js'

const id = 'comparison'
const title = 'Comparison: OTHER against BASE'
const description =
  'Relative difference (OTHER - BASE) / BASE of each latency percentile and of throughput, from `tracebench compare`. Bars to the right: OTHER is higher (slower for latencies). Both runs are in the percentile curves above. The table adds the absolute differences, MAPE over the deciles and the error limits.'

/** The error chart and table of the first comparison (a report shows one, like one claims.json). */
export function buildComparisonSection(comparisons: readonly ReportComparison[] | undefined): ChartSection | null {
  const entry = comparisons?.[0]
  if (entry === undefined) return null
  const c = entry.report
  const points = c.rows.filter((r) => r.relativePct !== null).map((r) => ({key: r.key, relativePct: roundTo(r.relativePct!, 3), higher: r.relativePct! >= 0 ? 'OTHER higher' : 'OTHER lower'}))
  if (points.length === 0) return omittedSection(id, title, description, 'no metric has data in both files')
  const spec: TopLevelSpec = {
    $schema: vegaLiteSchemaUrl,
    config: chartConfig,
    title: chartTitle(`${c.other.backend} against ${c.base.backend}`, `${c.base.trace}; ${c.sameTrace ? 'same trace' : 'DIFFERENT traces'}`),
    width: 520,
    height: {step: 18},
    data: {values: points},
    mark: {type: 'bar'},
    encoding: {
      y: {field: 'key', type: 'nominal', sort: null, title: null},
      x: {field: 'relativePct', type: 'quantitative', title: 'relative difference (%)'},
      color: {field: 'higher', type: 'nominal', title: null, scale: {domain: ['OTHER higher', 'OTHER lower'], range: ['#cf222e', '#0969da']}},
      tooltip: [
        {field: 'key', type: 'nominal', title: 'metric'},
        {field: 'relativePct', type: 'quantitative', title: 'difference %', format: '.2f'},
      ],
    },
  } as unknown as TopLevelSpec
  const notes = [
    `BASE: ${c.base.path} (${c.base.backend}, ${c.base.kind}); OTHER: ${c.other.path} (${c.other.backend}, ${c.other.kind})`,
    `trace: ${c.traceCheck}`,
    `MAPE over the deciles, p95 and p99: ${Object.entries(c.mape).map(([m, v]) => `${m} ${v === null ? 'no data' : `${v.toFixed(1)}%`}`).join(', ')}`,
    ...c.configDifferences.map((d) => `configuration differs: ${d}`),
    ...c.checks.map((k) => `${k.passed ? 'within' : 'EXCEEDED'}: ${k.limit}`),
  ]
  return {
    id,
    title,
    description,
    spec,
    omittedReason: null,
    table: {
      columns: [{label: 'metric'}, {label: 'BASE', numeric: true}, {label: 'OTHER', numeric: true}, {label: 'difference', numeric: true}, {label: 'relative', numeric: true}],
      rows: c.rows.map((r) => [r.key, formatCell(r.base, 2), formatCell(r.other, 2), `${formatCell(r.difference, 2)} ${r.unit}`, r.relativePct === null ? 'no data' : `${formatCell(r.relativePct, 1)}%`]),
    },
    notes,
  }
}
