import {chartConfig, chartTitle, pickScaleType, vegaLiteSchemaUrl, type TopLevelSpec} from './common.js'

export interface CrossoverPoint {
  /** The claim the line belongs to. */
  claim: string
  /** Prefill:decode token ratio of the workload (mean input / mean output tokens). */
  prefillDecodeRatio: number
  ratio: number
  /** What the point is (workload and scaling factor). */
  label: string
}

export interface CrossoverTarget {
  claim: string
  target: number
}

/** Where a line crosses 1x (break-even) or its claimed target, interpolated by the claims engine. */
export interface CrossoverCrossing {
  claim: string
  prefillDecodeRatio: number
  level: number
  kind: string
}

/** The prefill:decode mix of a real workload, drawn as a vertical guide. */
export interface WorkloadMix {
  workload: string
  prefillDecodeRatio: number
}

/** Guide labels in staggered rows (pixels from the top), in x order, so neighbours do not overlap. */
function staggerLabels(workloads: readonly WorkloadMix[]): Array<WorkloadMix & {labelYPx: number}> {
  return [...workloads].sort((a, b) => a.prefillDecodeRatio - b.prefillDecodeRatio).map((w, i) => ({...w, labelYPx: 8 + 12 * (i % 4)}))
}

/**
 * The crossover: how a comparison's ratio moves with the workload's prefill:decode mix
 * (log x: from decode-heavy chat to prefill-heavy agentic turns). Above the dashed 1x line
 * the subject of the claim wins; the dotted line per claim is what was claimed; diamonds
 * mark the crossings, grey guides the mixes of the real workloads.
 */
export function buildCrossoverSpec(
  points: readonly CrossoverPoint[],
  extras: {targets: readonly CrossoverTarget[]; crossings: readonly CrossoverCrossing[]; workloads: readonly WorkloadMix[]},
  options: {claims: readonly string[]; subtitle?: string[]},
): TopLevelSpec {
  const yType = pickScaleType([...points.map((p) => p.ratio), ...extras.targets.map((t) => t.target), 1], 8)
  const color = {field: 'claim', type: 'nominal', title: 'claim', scale: {domain: [...options.claims], scheme: 'tableau10'}}
  const yScale = yType === 'log' ? {type: 'log'} : {zero: true}
  const xScale = {type: 'log'}
  const xTitle = 'workload prefill:decode token ratio (mean input / mean output, log scale)'
  const yTitle = `measured ratio (x)${yType === 'log' ? ', log scale' : ''}`
  const layers: Record<string, unknown>[] = []
  if (extras.workloads.length > 0) {
    layers.push(
      {
        data: {values: extras.workloads},
        mark: {type: 'rule', color: '#afb8c1', strokeDash: [2, 2]},
        encoding: {x: {field: 'prefillDecodeRatio', type: 'quantitative', scale: xScale, title: xTitle}, tooltip: [{field: 'workload', title: 'workload'}, {field: 'prefillDecodeRatio', title: 'prefill:decode', format: ',.3~f'}]},
      },
      {
        data: {values: staggerLabels(extras.workloads)},
        mark: {type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 10, color: '#57606a'},
        encoding: {x: {field: 'prefillDecodeRatio', type: 'quantitative', scale: xScale}, y: {field: 'labelYPx', type: 'quantitative', scale: null}, text: {field: 'workload'}},
      },
    )
  }
  layers.push({data: {values: [{one: 1}]}, mark: {type: 'rule', color: '#6e7781', strokeDash: [5, 4]}, encoding: {y: {field: 'one', type: 'quantitative', scale: yScale, title: yTitle}}})
  if (extras.targets.length > 0) {
    layers.push({
      data: {values: extras.targets},
      mark: {type: 'rule', strokeDash: [1, 3], strokeWidth: 2},
      encoding: {y: {field: 'target', type: 'quantitative', scale: yScale}, color, tooltip: [{field: 'claim', type: 'nominal', title: 'claim'}, {field: 'target', type: 'quantitative', title: 'claimed (x)', format: ',.3~f'}]},
    })
  }
  layers.push({
    data: {values: points as unknown as Record<string, unknown>[]},
    mark: {type: 'line', strokeWidth: 2, point: {filled: true, size: 60}},
    encoding: {
      x: {field: 'prefillDecodeRatio', type: 'quantitative', scale: xScale, title: xTitle},
      y: {field: 'ratio', type: 'quantitative', scale: yScale, title: yTitle},
      color,
      order: {field: 'prefillDecodeRatio', type: 'quantitative'},
      tooltip: [
        {field: 'claim', type: 'nominal', title: 'claim'},
        {field: 'label', type: 'nominal', title: 'workload'},
        {field: 'prefillDecodeRatio', type: 'quantitative', title: 'prefill:decode', format: ',.3~f'},
        {field: 'ratio', type: 'quantitative', title: 'ratio (x)', format: ',.3~f'},
      ],
    },
  })
  if (extras.crossings.length > 0) {
    layers.push({
      data: {values: extras.crossings},
      mark: {type: 'point', shape: 'diamond', filled: true, size: 110, stroke: 'white', strokeWidth: 1},
      encoding: {
        x: {field: 'prefillDecodeRatio', type: 'quantitative', scale: xScale},
        y: {field: 'level', type: 'quantitative', scale: yScale},
        color,
        tooltip: [
          {field: 'claim', type: 'nominal', title: 'claim'},
          {field: 'kind', type: 'nominal', title: 'crossing'},
          {field: 'prefillDecodeRatio', type: 'quantitative', title: 'at prefill:decode', format: ',.3~f'},
        ],
      },
    })
  }
  return {
    $schema: vegaLiteSchemaUrl,
    title: chartTitle('Crossover: ratio versus the prefill:decode mix', options.subtitle),
    config: chartConfig,
    width: 520,
    height: 300,
    layer: layers,
  } as unknown as TopLevelSpec
}
