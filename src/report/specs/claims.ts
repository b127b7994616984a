import {chartConfig, chartTitle, verdictColorScale, verdictWords, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface ClaimPoint {
  /** Row label on the y axis: the claim id, with the workload when a claim has several rows. */
  row: string
  claim: string
  workload: string
  /** The claim text (tooltips only). */
  text: string
  measured: number
  target: number
  verdict: string
  reason: string
  /** `claimed` for a workload the claim is made for, `control` otherwise. */
  role: 'claimed' | 'control'
}

/**
 * Measured ratio against the claimed ratio, one row per claim and workload, on a log axis
 * (5x and 0.2x are equally far from 1x). The black tick is the claim, the dot what was
 * measured, coloured by verdict; the grey bar between them is the gap. Control rows
 * (workloads the claim is not made for) have hollow dots.
 */
export function buildClaimsSpec(points: readonly ClaimPoint[], options: {subtitle?: string[]} = {}): TopLevelSpec {
  // The verdict in words (legend and tooltips) and as a shape, so it reads without colour.
  const byColor = verdictColorScale(points.map((p) => p.verdict))
  const verdictScale = {domain: byColor.domain.map(verdictWords), range: byColor.range}
  const shapes: Record<string, string> = {supported: 'circle', 'not-supported': 'cross', inconclusive: 'diamond'}
  const shapeScale = {domain: verdictScale.domain, range: byColor.domain.map((v) => shapes[v] ?? 'square')}
  const values = points.flatMap((p) => [p.measured, p.target])
  const lo = Math.min(...values, 1)
  const hi = Math.max(...values, 1)
  const y = {field: 'row', type: 'nominal', title: null, sort: points.map((p) => p.row), axis: {labelLimit: 240, labelFontSize: 12}}
  const x = {field: 'measured', type: 'quantitative', title: 'ratio (x, log scale)', scale: {type: 'log', domain: [lo / 1.6, hi * 1.6], nice: false}}
  const tooltip = [
    {field: 'claim', type: 'nominal', title: 'claim'},
    {field: 'text', type: 'nominal', title: 'text'},
    {field: 'workload', type: 'nominal', title: 'workload'},
    {field: 'role', type: 'nominal', title: 'role'},
    {field: 'measured', type: 'quantitative', title: 'measured (x)', format: ',.3~f'},
    {field: 'target', type: 'quantitative', title: 'claimed (x)', format: ',.3~f'},
    {field: 'verdictText', type: 'nominal', title: 'verdict'},
    {field: 'reason', type: 'nominal', title: 'why'},
  ]
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Claims: measured ratio versus claimed ratio', options.subtitle ?? ['tick: claimed; mark: measured, its shape and colour the verdict (hollow: control workload); dashed: 1x']),
    config: chartConfig,
    width: 460,
    height: {step: 30},
    data: {values: points.map((p) => ({...p, verdictText: verdictWords(p.verdict)})) as unknown as Record<string, unknown>[]},
    layer: [
      {data: {values: [{one: 1}]}, mark: {type: 'rule', color: '#9aa0a6', strokeDash: [4, 3]}, encoding: {x: {field: 'one', type: 'quantitative'}}},
      {mark: {type: 'rule', color: '#c9ced6', strokeWidth: 6, strokeCap: 'round'}, encoding: {y, x, x2: {field: 'target'}, tooltip}},
      {mark: {type: 'tick', color: '#24292f', thickness: 3, size: 20}, encoding: {y, x: {field: 'target', type: 'quantitative'}, tooltip}},
      {
        mark: {type: 'point', size: 130, opacity: 1, strokeWidth: 2.5},
        encoding: {
          y,
          x,
          color: {field: 'verdictText', type: 'nominal', title: 'verdict', scale: verdictScale},
          shape: {field: 'verdictText', type: 'nominal', title: 'verdict', scale: shapeScale},
          fill: {condition: {test: "datum.role === 'claimed'", field: 'verdictText', type: 'nominal', scale: verdictScale, legend: null}, value: 'white'},
          tooltip,
        },
      },
    ],
  } as unknown as TopLevelSpec
}
