import {chartConfig, chartTitle, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface TimelinePoint {
  /** The run the sample belongs to (the chart shows one run at a time, chosen from a menu). */
  run: string
  tS: number
  queueDepth: number
  batchSize: number
  /** KV-cache use in percent (0..100). */
  kvUsagePct: number
}

const panels = [
  {field: 'queueDepth', title: 'queue depth (requests)', tooltipTitle: 'queue depth, max in bucket', color: '#4e79a7', format: ',.0f'},
  {field: 'batchSize', title: 'batch size (sequences)', tooltipTitle: 'batch size, time-weighted mean', color: '#f28e2b', format: ',.1f'},
  {field: 'kvUsagePct', title: 'KV-cache use (%)', tooltipTitle: 'KV-cache use %, max in bucket', color: '#59a14f', format: '.1f'},
] as const

/** The name of the chart's run selector (a vega signal; the menu under the chart sets it). */
export const timelineRunParam = 'timelineRun'

/**
 * Queue depth, running batch size and KV-cache use over a replay, three panels on one time
 * axis. With several runs, a menu under the chart picks the run shown (`runs[0]` first).
 */
export function buildTimelineSpec(points: readonly TimelinePoint[], options: {subtitle?: string[]; bucketS: number | null; runs: readonly string[]}): TopLevelSpec {
  const tooltip = [
    {field: 'tS', type: 'quantitative', title: 'time (s)', format: ',.2f'},
    ...panels.map((p) => ({field: p.field, type: 'quantitative', title: p.tooltipTitle, format: p.format})),
  ]
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Replay timeline: queue, batch and KV cache', options.subtitle),
    config: chartConfig,
    data: {values: points as unknown as Record<string, unknown>[]},
    params: [
      {
        name: timelineRunParam,
        value: options.runs[0],
        ...(options.runs.length > 1 ? {bind: {input: 'select', options: [...options.runs], name: 'run shown: '}} : {}),
      },
    ],
    transform: [{filter: `datum.run === ${timelineRunParam}`}],
    vconcat: panels.map((p, i) => ({
      width: 520,
      height: 90,
      mark: {type: 'area', interpolate: 'step-after', line: {color: p.color, strokeWidth: 1.5}, color: p.color, opacity: 0.35, point: {opacity: 0, size: 30, color: p.color, aria: false}},
      encoding: {
        x: {
          field: 'tS',
          type: 'quantitative',
          title: i === panels.length - 1 ? `replay time (s)${options.bucketS !== null && options.runs.length === 1 ? `, ${options.bucketS} s buckets` : ''}` : null,
          axis: i === panels.length - 1 ? {} : {labels: false, ticks: false},
        },
        y: {field: p.field, type: 'quantitative', title: p.title, ...(p.field === 'kvUsagePct' ? {scale: {domain: [0, 100]}} : {})},
        tooltip,
      },
    })),
    resolve: {scale: {x: 'shared'}},
  } as unknown as TopLevelSpec
}
