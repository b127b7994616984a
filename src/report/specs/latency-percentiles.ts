import {chartConfig, chartTitle, pickScaleType, seriesScheme, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface LatencyCurvePoint {
  /** The run (curve) the point belongs to. */
  run: string
  /** `TTFT`, `TPOT` or `E2E`. */
  metric: string
  /** Percentile, 0..100. */
  percentile: number
  /** Tail coordinate: -log10(1 - percentile / 100); 1 = p90, 2 = p99, 3 = p99.9. */
  tailX: number
  valueMs: number
}

/** Axis ticks at 50%, 90%, 99%, ...: the tail coordinate of each (0% sits at the origin, unlabelled: too close to 50%). */
const tailTicks = [Math.log10(2), 1, 2, 3, 4, 5]

/**
 * Latency percentile curves (one panel per metric, one line per run), in the style of
 * HdrHistogram plots: x = -log10(1 - p) so the tail (p99, p99.9) gets as much room as
 * the median. Lines step: a histogram percentile holds until the next recorded value.
 */
export function buildLatencyPercentileSpec(points: readonly LatencyCurvePoint[], options: {runs: readonly string[]; metrics: readonly string[]; subtitle?: string}): TopLevelSpec {
  const maxX = Math.max(...points.map((p) => p.tailX), 1)
  const ticks = tailTicks.filter((t) => t <= maxX + 1e-9)
  const panels = options.metrics.map((metric) => {
    const values = points.filter((p) => p.metric === metric).map((p) => p.valueMs)
    const yScaleType = pickScaleType(values)
    return {
      width: 210,
      height: 220,
      title: {text: metric, fontSize: 13},
      transform: [{filter: {field: 'metric', equal: metric}}],
      mark: {type: 'line', interpolate: 'step-after', strokeWidth: 2, point: {filled: true, size: 36, opacity: 0, aria: false}},
      encoding: {
        x: {
          field: 'tailX',
          type: 'quantitative',
          title: 'percentile (tail spread: -log10(1 - p))',
          scale: {domain: [0, maxX], nice: false},
          axis: {values: ticks, labelExpr: "format(100 * (1 - pow(10, -datum.value)), '.4~f') + '%'", labelOverlap: false, grid: true},
        },
        y: {
          field: 'valueMs',
          type: 'quantitative',
          title: `${metric} (ms)${yScaleType === 'log' ? ', log scale' : ''}`,
          scale: yScaleType === 'log' ? {type: 'log'} : {zero: true},
        },
        color: {field: 'run', type: 'nominal', title: 'run', scale: {domain: [...options.runs], scheme: seriesScheme}, legend: {title: 'run'}},
        tooltip: [
          {field: 'run', type: 'nominal', title: 'run'},
          {field: 'metric', type: 'nominal', title: 'metric'},
          {field: 'percentile', type: 'quantitative', title: 'percentile (%)', format: '.4~f'},
          {field: 'valueMs', type: 'quantitative', title: 'latency (ms)', format: ',.3~f'},
        ],
      },
    }
  })
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Latency percentiles', options.subtitle),
    config: chartConfig,
    data: {values: points as unknown as Record<string, unknown>[]},
    hconcat: panels,
    resolve: {scale: {y: 'independent'}},
  } as unknown as TopLevelSpec
}
