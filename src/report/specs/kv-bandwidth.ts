import {chartConfig, chartTitle, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface KvBandwidthChartPoint {
  claim: string
  /** Achieved KV-link bandwidth out of one prefill replica, GB/s. */
  achievedGBps: number
  fraction: number
  ratio: number
  verdict: string
}

/**
 * A claim's ratio against the achieved bandwidth of the subject's KV link (log x, from the
 * measured figures up to line rate). The dotted line is the claimed ratio, the dashed one 1x.
 */
export function buildKvBandwidthSpec(points: readonly KvBandwidthChartPoint[], targets: ReadonlyArray<{claim: string; target: number}>): TopLevelSpec {
  const x = {field: 'achievedGBps', type: 'quantitative', scale: {type: 'log'}, title: 'achieved KV-link bandwidth per prefill replica (GB/s, log scale)'}
  const y = {type: 'quantitative', scale: {zero: true}, title: 'measured ratio (x)'}
  const color = {field: 'claim', type: 'nominal', title: 'claim', scale: {scheme: 'tableau10'}}
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('The ratio versus achieved KV-transfer bandwidth'),
    config: chartConfig,
    width: 520,
    height: 260,
    layer: [
      {data: {values: [{one: 1}]}, mark: {type: 'rule', color: '#6e7781', strokeDash: [5, 4]}, encoding: {y: {...y, field: 'one'}}},
      {data: {values: targets}, mark: {type: 'rule', strokeDash: [1, 3], strokeWidth: 2}, encoding: {y: {...y, field: 'target'}, color}},
      {
        data: {values: points},
        mark: {type: 'line', strokeWidth: 2, point: {filled: true, size: 60}},
        encoding: {
          x,
          y: {...y, field: 'ratio'},
          color,
          order: {field: 'achievedGBps', type: 'quantitative'},
          tooltip: [
            {field: 'claim', type: 'nominal', title: 'claim'},
            {field: 'achievedGBps', type: 'quantitative', title: 'GB/s', format: ',.3~f'},
            {field: 'fraction', type: 'quantitative', title: 'of line rate', format: ',.3~f'},
            {field: 'ratio', type: 'quantitative', title: 'ratio (x)', format: ',.3~f'},
            {field: 'verdict', type: 'nominal', title: 'verdict'},
          ],
        },
      },
    ],
  } as unknown as TopLevelSpec
}
