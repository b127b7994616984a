import {chartConfig, chartTitle, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface TimelinePoint {
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

/** Queue depth, running batch size and KV-cache use over one replay, three panels on one time axis. */
export function buildTimelineSpec(points: readonly TimelinePoint[], options: {subtitle?: string[]; bucketS: number | null}): TopLevelSpec {
  const tooltip = [
    {field: 'tS', type: 'quantitative', title: 'time (s)', format: ',.2f'},
    ...panels.map((p) => ({field: p.field, type: 'quantitative', title: p.tooltipTitle, format: p.format})),
  ]
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Replay timeline: queue, batch and KV cache', options.subtitle),
    config: chartConfig,
    data: {values: points as unknown as Record<string, unknown>[]},
    vconcat: panels.map((p, i) => ({
      width: 520,
      height: 90,
      mark: {type: 'area', interpolate: 'step-after', line: {color: p.color, strokeWidth: 1.5}, color: p.color, opacity: 0.35, point: {opacity: 0, size: 30, color: p.color, aria: false}},
      encoding: {
        x: {
          field: 'tS',
          type: 'quantitative',
          title: i === panels.length - 1 ? `replay time (s)${options.bucketS !== null ? `, ${options.bucketS} s buckets` : ''}` : null,
          axis: i === panels.length - 1 ? {} : {labels: false, ticks: false},
        },
        y: {field: p.field, type: 'quantitative', title: p.title, ...(p.field === 'kvUsagePct' ? {scale: {domain: [0, 100]}} : {})},
        tooltip,
      },
    })),
    resolve: {scale: {x: 'shared'}},
  } as unknown as TopLevelSpec
}
