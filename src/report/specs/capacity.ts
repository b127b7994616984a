import {chartConfig, chartTitle, pickScaleType, seriesColor, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

/** One evaluated point of a capacity search. */
export interface CapacitySearchPoint {
  series: string
  rateScale: number
  /** Requests/s scheduled to arrive in the point's window, and completed in it. */
  offered: number
  delivered: number
  /** Output tokens/s delivered in the window (all requests), and of requests meeting every SLO. */
  tokPerS: number | null
  goodTokPerS: number | null
  /** `passed`, `not sustained` or `SLO missed`. */
  outcome: string
  /** The capacity point of its backend. */
  capacity: boolean
  reason: string
}

export const capacityOutcomeDomain = ['passed', 'SLO missed', 'not sustained'] as const
const outcomeShapes = ['circle', 'triangle-up', 'cross']

/**
 * Every point a capacity search evaluated, per backend. Left: requests/s delivered in the
 * point's window against requests/s offered in it, with the line where all of the load is
 * delivered and the 95% line below which a load is not sustained. Right: output tokens/s
 * delivered against the same offered load (goodput of passing points in the tooltip; a
 * point stopped at its window's end has partial latencies, so no goodput). The capacity point of each
 * backend is ringed; shapes say how each point ended (passed, an SLO missed, not sustained).
 */
export function buildCapacitySearchSpec(points: readonly CapacitySearchPoint[], options: {seriesDomain: readonly string[]; minDeliveredRatio: number; subtitle?: string[]}): TopLevelSpec {
  const color = seriesColor(options.seriesDomain)
  const offeredValues = points.map((p) => p.offered)
  const xType = pickScaleType(offeredValues, 20)
  const lo = Math.min(...offeredValues)
  const hi = Math.max(...offeredValues)
  const x = {field: 'offered', type: 'quantitative', title: `offered load (req/s in the window)${xType === 'log' ? ', log scale' : ''}`, scale: xType === 'log' ? {type: 'log'} : {zero: true}}
  const present = capacityOutcomeDomain.map((o, i) => ({o, s: outcomeShapes[i] as string})).filter(({o}) => points.some((p) => p.outcome === o))
  const shape = {field: 'outcome', type: 'nominal', title: 'point', scale: {domain: present.map((p) => p.o), range: present.map((p) => p.s)}}
  const tooltip = [
    {field: 'series', type: 'nominal', title: 'backend'},
    {field: 'rateScale', type: 'quantitative', title: 'rate scale (x)', format: ',.4~f'},
    {field: 'offered', type: 'quantitative', title: 'offered req/s', format: ',.2f'},
    {field: 'delivered', type: 'quantitative', title: 'delivered req/s', format: ',.2f'},
    {field: 'tokPerS', type: 'quantitative', title: 'output tok/s', format: ',.0f'},
    {field: 'goodTokPerS', type: 'quantitative', title: 'goodput tok/s', format: ',.0f'},
    {field: 'outcome', type: 'nominal', title: 'point'},
    {field: 'reason', type: 'nominal', title: 'why'},
  ]
  // The reference lines span the offered range; on a log axis they need positive ends.
  const span = [lo, hi].map((v) => ({offered: v, all: v, sustained: v * options.minDeliveredRatio}))
  const ring = {mark: {type: 'point', size: 340, strokeWidth: 2, filled: false}, transform: [{filter: 'datum.capacity'}], encoding: {x, color}}
  const pointLayer = (y: Record<string, unknown>) => ({mark: {type: 'point', filled: true, size: 70, opacity: 0.95}, encoding: {x, y, color, shape, tooltip}})
  const deliveredY = {field: 'delivered', type: 'quantitative', title: `delivered load (req/s in the window)${xType === 'log' ? ', log scale' : ''}`, scale: xType === 'log' ? {type: 'log'} : {zero: true}}
  const tokY = {field: 'tokPerS', type: 'quantitative', title: 'output tokens/s delivered (system)', scale: {zero: true}}
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Capacity searches: load delivered versus load offered', options.subtitle),
    config: {...chartConfig, legend: {...chartConfig.legend, orient: 'bottom', columns: 4}},
    data: {values: points as unknown as Record<string, unknown>[]},
    hconcat: [
      {
        width: 300,
        height: 260,
        layer: [
          {data: {values: span}, mark: {type: 'line', color: '#8c959f', strokeWidth: 1}, encoding: {x, y: {field: 'all', type: 'quantitative'}}},
          {data: {values: span}, mark: {type: 'line', color: '#8c959f', strokeDash: [4, 3], strokeWidth: 1}, encoding: {x, y: {field: 'sustained', type: 'quantitative'}}},
          {mark: {type: 'line', strokeWidth: 1.2, opacity: 0.6}, encoding: {x, y: deliveredY, color, order: {field: 'offered', type: 'quantitative'}}},
          pointLayer(deliveredY),
          {...ring, encoding: {...ring.encoding, y: deliveredY}},
        ],
      },
      {
        width: 300,
        height: 260,
        transform: [{filter: 'isValid(datum.tokPerS)'}],
        layer: [
          {mark: {type: 'line', strokeWidth: 1.5}, encoding: {x, y: tokY, color, order: {field: 'offered', type: 'quantitative'}}},
          pointLayer(tokY),
          {...ring, encoding: {...ring.encoding, y: tokY}},
        ],
      },
    ],
    resolve: {scale: {y: 'independent'}},
  } as unknown as TopLevelSpec
}

/** Capacity per unit of footprint: one bar per backend in each panel (rack, kW, system, $/h). */
export interface FootprintBar {
  series: string
  unit: string
  value: number
  lowerBound: boolean
}

export function buildCapacityFootprintSpec(bars: readonly FootprintBar[], options: {seriesDomain: readonly string[]; units: readonly string[]; tokensTitle: string}): TopLevelSpec {
  const color = seriesColor(options.seriesDomain)
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Capacity per unit of footprint', [`${options.tokensTitle} divided by each unit the backend occupies; ≥ marks a lower bound`]),
    config: chartConfig,
    data: {values: bars as unknown as Record<string, unknown>[]},
    facet: {column: {field: 'unit', type: 'nominal', title: null, sort: [...options.units], header: {labelFontSize: 12, labelFontWeight: 600}}},
    spec: {
      width: 150,
      height: {step: 22},
      layer: [
        {
          mark: {type: 'bar'},
          encoding: {
            y: {field: 'series', type: 'nominal', title: null, sort: [...options.seriesDomain], axis: {labelLimit: 160}},
            x: {field: 'value', type: 'quantitative', title: 'per unit (tok/s)', axis: {format: '~s'}},
            color: {...color, legend: null},
            tooltip: [
              {field: 'series', type: 'nominal', title: 'backend'},
              {field: 'unit', type: 'nominal', title: 'unit'},
              {field: 'value', type: 'quantitative', title: 'tok/s', format: ',.1f'},
              {field: 'lowerBound', type: 'nominal', title: 'lower bound'},
            ],
          },
        },
        {
          mark: {type: 'text', align: 'left', dx: 3, fontSize: 10},
          encoding: {
            y: {field: 'series', type: 'nominal', sort: [...options.seriesDomain]},
            x: {field: 'value', type: 'quantitative'},
            text: {condition: {test: 'datum.lowerBound', value: '≥'}, value: ''},
          },
        },
      ],
    },
    resolve: {scale: {x: 'independent'}},
  } as unknown as TopLevelSpec
}
