/**
 * Metric ids and their definitions, in one place. The summary table, SLO parser, gates,
 * reports and docs all read these, and every results file embeds them (with the schema
 * version), so a number in a file always carries the formula that produced it.
 */

/** Per-request latency metrics, each kept in an HDR histogram (recorded in integer microseconds). */
export const latencyMetricIds = ['ttft', 'tpot', 'itl', 'e2e', 'queue', 'kvTransfer'] as const
export type LatencyMetricId = (typeof latencyMetricIds)[number]

/** Optional latency metrics: present only for backends that produce them (real endpoints). */
export const optionalLatencyMetricIds = ['sendLag'] as const
export type OptionalLatencyMetricId = (typeof optionalLatencyMetricIds)[number]

/** Scalar metrics computed from the counters over the measured window. */
export const scalarMetricIds = [
  'throughput.outputTokensPerS',
  'throughput.requestsPerS',
  'goodput.requestsPerS',
  'goodput.outputTokensPerS',
  'goodput.ratio',
  'failed.ratio',
] as const
export type ScalarMetricId = (typeof scalarMetricIds)[number]

/** Distribution metrics: take an aggregation (`ttft.p90`, `userSpeed.p10`, `itl.max`). */
export type DistributionMetricId = LatencyMetricId | OptionalLatencyMetricId | 'userSpeed'
export const distributionMetricIds: readonly DistributionMetricId[] = [...latencyMetricIds, ...optionalLatencyMetricIds, 'userSpeed']

export type MetricId = DistributionMetricId | ScalarMetricId
export const metricIds: readonly MetricId[] = [...distributionMetricIds, ...scalarMetricIds]

/** Percentiles every latency summary holds; the field name drops the dot (99.9 -> `p999`). */
export const summaryPercentiles = [50, 90, 95, 99, 99.9] as const
export type SummaryPercentileKey = 'p50' | 'p90' | 'p95' | 'p99' | 'p999'
/** userSpeed is summarised at the low end: the slow users are the ones an SLO is about. */
export const userSpeedPercentiles = [10, 50, 90] as const

/** Aggregations a distribution metric accepts besides `pNN` (any percentile 0 < NN <= 100). */
export const distributionAggregations = ['mean', 'min', 'max', 'count'] as const
export type DistributionAggregation = (typeof distributionAggregations)[number]

export type MetricUnit = 'ms' | 'tok/s' | 'req/s' | 'ratio' | 'count'

export interface MetricDefinition {
  id: MetricId
  unit: MetricUnit
  /** One line, for tables and tooltips. */
  description: string
  /** The definition as a formula over one request's timestamps, or over the run's counters. */
  formula: string
  /** Percentiles stored in the summary (empty for scalars). */
  percentiles: string[]
  /** Aggregations valid in SLO and threshold expressions (`pNN` stands for any percentile). */
  aggregations: string[]
  /** True when an SLO on this metric can be checked against one request (used for goodput). */
  perRequest: boolean
  /** Direction of "better": gates and benchmark outputs (customBiggerIsBetter) need it. */
  biggerIsBetter: boolean
}

const latencyAggregations = ['pNN', ...distributionAggregations]
const latencyPercentiles = ['p50', 'p90', 'p95', 'p99', 'p999']

export const metricDefinitions: Readonly<Record<MetricId, MetricDefinition>> = {
  ttft: {
    id: 'ttft',
    unit: 'ms',
    description: 'Time to first token, queueing included',
    formula: 'ttft = firstTokenUs - arrivalUs (arrivalUs = scheduled arrival after rate scaling, or the closed-loop release time of a session turn)',
    percentiles: latencyPercentiles,
    aggregations: latencyAggregations,
    perRequest: true,
    biggerIsBetter: false,
  },
  tpot: {
    id: 'tpot',
    unit: 'ms',
    description: 'Time per output token after the first, per request',
    formula: 'tpot = (e2e - ttft) / (outputTokens - 1) = (completionUs - firstTokenUs) / (outputTokens - 1); requests with outputTokens <= 1 have no tpot',
    percentiles: latencyPercentiles,
    aggregations: latencyAggregations,
    perRequest: true,
    biggerIsBetter: false,
  },
  itl: {
    id: 'itl',
    unit: 'ms',
    description: 'Inter-token latency: every gap between consecutive output tokens',
    formula: 'itl = distribution over all gaps t(token k+1) - t(token k), over all requests (each gap counted once)',
    percentiles: latencyPercentiles,
    aggregations: latencyAggregations,
    perRequest: true,
    biggerIsBetter: false,
  },
  e2e: {
    id: 'e2e',
    unit: 'ms',
    description: 'End-to-end latency, queueing included',
    formula: 'e2e = completionUs - arrivalUs',
    percentiles: latencyPercentiles,
    aggregations: latencyAggregations,
    perRequest: true,
    biggerIsBetter: false,
  },
  queue: {
    id: 'queue',
    unit: 'ms',
    description: 'Time waiting before admission to a batch',
    formula: 'queue = startUs - arrivalUs (startUs = admission to a batch, prefill starts)',
    percentiles: latencyPercentiles,
    aggregations: latencyAggregations,
    perRequest: true,
    biggerIsBetter: false,
  },
  kvTransfer: {
    id: 'kvTransfer',
    unit: 'ms',
    description: 'KV-cache transfer from the prefill pool to the decode pool',
    formula: 'kvTransfer = kvTransferUs, recorded only for requests whose KV cache crossed a link (kvTransferUs > 0); aggregated backends have no data',
    percentiles: latencyPercentiles,
    aggregations: latencyAggregations,
    perRequest: true,
    biggerIsBetter: false,
  },
  sendLag: {
    id: 'sendLag',
    unit: 'ms',
    description: 'Client-side send lag (real endpoints): how late a request left versus its schedule',
    formula: 'sendLag = actual send time - arrivalUs, recorded only when the backend reports it',
    percentiles: latencyPercentiles,
    aggregations: latencyAggregations,
    perRequest: true,
    biggerIsBetter: false,
  },
  userSpeed: {
    id: 'userSpeed',
    unit: 'tok/s',
    description: 'Per-user decode speed',
    formula: 'userSpeed = 1000 / tpot(ms) per request; percentiles invert: userSpeed.pX = 1000 / tpot.p(100 - X), so userSpeed.p10 is read from tpot.p90',
    percentiles: ['p10', 'p50', 'p90'],
    aggregations: ['pNN', 'mean', 'min', 'max', 'count'],
    perRequest: true,
    biggerIsBetter: true,
  },
  'throughput.outputTokensPerS': {
    id: 'throughput.outputTokensPerS',
    unit: 'tok/s',
    description: 'Output tokens per second over the measured window',
    formula: 'sum(outputTokens of completed requests) / window.durationS',
    percentiles: [],
    aggregations: [],
    perRequest: false,
    biggerIsBetter: true,
  },
  'throughput.requestsPerS': {
    id: 'throughput.requestsPerS',
    unit: 'req/s',
    description: 'Completed requests per second over the measured window',
    formula: 'completed / window.durationS',
    percentiles: [],
    aggregations: [],
    perRequest: false,
    biggerIsBetter: true,
  },
  'goodput.requestsPerS': {
    id: 'goodput.requestsPerS',
    unit: 'req/s',
    description: 'Requests per second that met every SLO',
    formula: 'count(completed requests meeting every per-request SLO) / window.durationS',
    percentiles: [],
    aggregations: [],
    perRequest: false,
    biggerIsBetter: true,
  },
  'goodput.outputTokensPerS': {
    id: 'goodput.outputTokensPerS',
    unit: 'tok/s',
    description: 'Output tokens per second from requests that met every SLO',
    formula: 'sum(outputTokens of completed requests meeting every per-request SLO) / window.durationS',
    percentiles: [],
    aggregations: [],
    perRequest: false,
    biggerIsBetter: true,
  },
  'goodput.ratio': {
    id: 'goodput.ratio',
    unit: 'ratio',
    description: 'Share of all requests (failed included) that met every SLO',
    formula: 'goodput.requests / (completed + failed)',
    percentiles: [],
    aggregations: [],
    perRequest: false,
    biggerIsBetter: true,
  },
  'failed.ratio': {
    id: 'failed.ratio',
    unit: 'ratio',
    description: 'Share of requests that failed',
    formula: 'failed / (completed + failed)',
    percentiles: [],
    aggregations: [],
    perRequest: false,
    biggerIsBetter: false,
  },
}

export function isLatencyMetricId(id: string): id is LatencyMetricId | OptionalLatencyMetricId {
  return (latencyMetricIds as readonly string[]).includes(id) || (optionalLatencyMetricIds as readonly string[]).includes(id)
}

export function isDistributionMetricId(id: string): id is DistributionMetricId {
  return (distributionMetricIds as readonly string[]).includes(id)
}

export function isScalarMetricId(id: string): id is ScalarMetricId {
  return (scalarMetricIds as readonly string[]).includes(id)
}

/** The summary field name for a percentile, or null when the summary does not store it. */
export function summaryKeyForPercentile(percentile: number): SummaryPercentileKey | null {
  switch (percentile) {
    case 50:
      return 'p50'
    case 90:
      return 'p90'
    case 95:
      return 'p95'
    case 99:
      return 'p99'
    case 99.9:
      return 'p999'
    default:
      return null
  }
}
