import {chartConfig, chartTitle, pickScaleType, seriesColor, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface InteractivityPoint {
  series: string
  run: string
  /** Offered load (orders the points of one backend along its line). */
  load: number
  /** Points of one group are joined by a line: a sweep, or a single run (a lone point). */
  group: string
  systemTokPerS: number
  userP10: number
  userP50: number
  userP90: number
}

/**
 * The interactivity trade-off: per-user decode speed (median, with a p10-p90 bar) against
 * the system's output throughput, one line per backend through its load levels. Up and to
 * the right is better; a backend that buys throughput with per-user speed slopes down.
 */
export function buildInteractivitySpec(points: readonly InteractivityPoint[], options: {seriesDomain: readonly string[]; subtitle?: string[]}): TopLevelSpec {
  const color = seriesColor(options.seriesDomain)
  const yType = pickScaleType(points.flatMap((p) => [p.userP10, p.userP90]))
  const y = {
    field: 'userP50',
    type: 'quantitative',
    title: `per-user decode speed, median (tok/s)${yType === 'log' ? ', log scale' : ''}`,
    scale: yType === 'log' ? {type: 'log'} : {zero: true},
  }
  const xType = pickScaleType(points.map((p) => p.systemTokPerS), 20)
  const x = {
    field: 'systemTokPerS',
    type: 'quantitative',
    title: `system output throughput (tok/s)${xType === 'log' ? ', log scale' : ''}`,
    scale: xType === 'log' ? {type: 'log'} : {zero: true},
  }
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Per-user decode speed versus system throughput', options.subtitle),
    config: {...chartConfig, legend: {...chartConfig.legend, orient: 'right', columns: 1, labelLimit: 170}},
    width: 520,
    height: 320,
    data: {values: points as unknown as Record<string, unknown>[]},
    layer: [
      {
        mark: {type: 'rule', strokeWidth: 1.5, opacity: 0.6},
        encoding: {x, y: {field: 'userP10', type: 'quantitative'}, y2: {field: 'userP90'}, color},
      },
      {
        mark: {type: 'line', strokeWidth: 2},
        encoding: {x, y, color, detail: {field: 'group'}, order: {field: 'load', type: 'quantitative'}},
      },
      {
        mark: {type: 'point', filled: true, size: 70},
        encoding: {
          x,
          y,
          color,
          tooltip: [
            {field: 'run', type: 'nominal', title: 'run'},
            {field: 'systemTokPerS', type: 'quantitative', title: 'system tok/s', format: ',.1f'},
            {field: 'userP10', type: 'quantitative', title: 'per-user p10 tok/s', format: ',.1f'},
            {field: 'userP50', type: 'quantitative', title: 'per-user median tok/s', format: ',.1f'},
            {field: 'userP90', type: 'quantitative', title: 'per-user p90 tok/s', format: ',.1f'},
          ],
        },
      },
    ],
  } as unknown as TopLevelSpec
}
