import {chartConfig, chartTitle, pickScaleType, seriesColor, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface LoadPoint {
  series: string
  run: string
  /** Offered load on the x axis, in `loadUnit`. */
  load: number
  /** `throughput` or `goodput`. */
  kind: 'throughput' | 'goodput'
  /** Points of one group are joined by a line: a sweep, or a single run (a lone point). */
  group: string
  tokPerS: number
  /** `all SLOs met`, `SLO violated` or `no SLOs`. */
  slo: string
}

export interface CapacityMark {
  series: string
  load: number
  /** Text drawn beside the rule, e.g. `capacity 12.5 req/s`. */
  label: string
  /** Label position from the top of the plot, pixels (labels of several backends are stacked). */
  labelYPx: number
  /** The highest passing point of a sweep, not a capacity search's answer. */
  swept?: boolean
}

export const sloStatusDomain = ['all SLOs met', 'SLO violated', 'no SLOs'] as const
const sloStatusShapes = ['circle', 'cross', 'square']

/** Which side of its rule a capacity label goes: text to the right in the left 55% of the plot. */
function labelSide(load: number, points: readonly LoadPoint[], xType: 'log' | 'linear'): 'left' | 'right' {
  const loads = points.map((p) => p.load)
  const f = xType === 'log' ? Math.log : (v: number) => v
  const lo = xType === 'log' ? f(Math.min(...loads)) : 0
  const hi = f(Math.max(...loads))
  return hi > lo && (f(load) - lo) / (hi - lo) > 0.55 ? 'right' : 'left'
}

/** Only the statuses present, so the legend does not list "no SLOs" when every run had some. */
function shapeScale(points: readonly LoadPoint[]): {domain: string[]; range: string[]} {
  const present = sloStatusDomain.map((s, i) => ({s, shape: sloStatusShapes[i] as string})).filter(({s}) => points.some((p) => p.slo === s))
  return {domain: present.map((p) => p.s), range: present.map((p) => p.shape)}
}

/**
 * Throughput and goodput (output tok/s) against offered load, one colour per backend:
 * solid lines are throughput, dashed lines goodput (requests meeting every SLO). Point
 * shapes say whether the run met its SLOs; a dotted rule marks each backend's capacity.
 */
export function buildThroughputLoadSpec(
  points: readonly LoadPoint[],
  capacity: readonly CapacityMark[],
  options: {seriesDomain: readonly string[]; loadTitle: string; subtitle?: string[]},
): TopLevelSpec {
  const color = seriesColor(options.seriesDomain)
  // Sweeps are usually geometric (0.5x, 1x, 2x, ...): log axes keep the low loads apart.
  const xType = pickScaleType(points.map((p) => p.load), 20)
  const yType = pickScaleType(points.map((p) => p.tokPerS), 20)
  const x = {field: 'load', type: 'quantitative', title: `${options.loadTitle}${xType === 'log' ? ', log scale' : ''}`, scale: xType === 'log' ? {type: 'log'} : {zero: true}}
  // Headroom above the data so the capacity labels at the top never sit on a line.
  const maxTokPerS = Math.max(...points.map((p) => p.tokPerS), 1)
  const headroom = capacity.length > 0 ? (yType === 'log' ? 1.6 + 0.4 * capacity.length : 1.12 + 0.06 * capacity.length) : 1
  const y = {
    field: 'tokPerS',
    type: 'quantitative',
    title: `output tokens/s (system)${yType === 'log' ? ', log scale' : ''}`,
    scale: yType === 'log' ? {type: 'log', domainMax: maxTokPerS * headroom} : {zero: true, domainMax: maxTokPerS * headroom},
  }
  const layers: Record<string, unknown>[] = [
    {
      mark: {type: 'line', strokeWidth: 2},
      encoding: {
        x,
        y,
        color,
        strokeDash: {field: 'kind', type: 'nominal', title: 'line', scale: {domain: ['throughput', 'goodput'], range: [[1, 0], [6, 4]]}, legend: {symbolType: 'stroke', symbolSize: 500, symbolStrokeWidth: 2, symbolStrokeColor: '#444'}},
        detail: [{field: 'kind'}, {field: 'group'}],
        order: {field: 'load', type: 'quantitative'},
      },
    },
    {
      mark: {type: 'point', filled: true, size: 70, opacity: 0.95},
      encoding: {
        x,
        y,
        color,
        shape: {field: 'slo', type: 'nominal', title: 'SLOs', scale: shapeScale(points)},
        tooltip: [
          {field: 'run', type: 'nominal', title: 'run'},
          {field: 'kind', type: 'nominal', title: 'series'},
          {field: 'load', type: 'quantitative', title: options.loadTitle, format: ',.3~f'},
          {field: 'tokPerS', type: 'quantitative', title: 'output tok/s', format: ',.1f'},
          {field: 'slo', type: 'nominal', title: 'SLOs'},
        ],
      },
    },
  ]
  if (capacity.length > 0) {
    layers.push(
      {
        data: {values: capacity},
        mark: {type: 'rule', strokeDash: [2, 3], strokeWidth: 2},
        encoding: {
          x: {field: 'load', type: 'quantitative'},
          color,
          tooltip: [
            {field: 'series', type: 'nominal', title: 'backend'},
            {field: 'label', type: 'nominal', title: 'mark'},
          ],
        },
      },
      // Labels sit right of their rule in the left part of the plot and left of it in the
      // right part, so they stay inside. One layer per side that has labels: an empty layer
      // makes vega warn about an infinite extent.
      ...(['left', 'right'] as const)
        .map((side) => ({side, values: capacity.filter((m) => labelSide(m.load, points, xType) === side)}))
        .filter(({values}) => values.length > 0)
        .map(({side, values}) => ({
          data: {values},
          mark: {type: 'text', align: side, baseline: 'middle', dx: side === 'left' ? 4 : -4, fontSize: 11, fontWeight: 600},
          encoding: {x: {field: 'load', type: 'quantitative'}, y: {field: 'labelYPx', type: 'quantitative', scale: null}, text: {field: 'label'}, color},
        })),
    )
  }
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Throughput and goodput versus offered load', options.subtitle),
    config: {...chartConfig, legend: {...chartConfig.legend, orient: 'right', columns: 1, labelLimit: 170}},
    width: 520,
    height: 320,
    data: {values: points as unknown as Record<string, unknown>[]},
    layer: layers,
  } as unknown as TopLevelSpec
}
