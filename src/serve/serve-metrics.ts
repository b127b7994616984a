import {Counter, Gauge, Registry, type Metric} from 'prom-client'
import type {BackendState} from '../backends/backend.js'
import type {RequestOutcome} from '../metrics/request-outcome.js'
import type {LagSummary} from './clock-lag.js'

/** vLLM's bucket bounds (seconds), so that its dashboards' quantile queries read the same. */
const ttftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560]
const itlBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80]
const requestBuckets = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680]
const lagBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

/**
 * A Prometheus histogram that takes a count with each value: the simulator reports
 * inter-token gaps once per decode step with the number of tokens that saw them, so
 * observing them costs O(1) per step rather than O(tokens). Registered in a prom-client
 * registry, which formats it like its own histograms.
 */
class WeightedHistogram {
  readonly type = 'histogram'
  private readonly counts: number[]
  private sum = 0
  private count = 0

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length).fill(0)
  }

  observe(value: number, count = 1): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    if (i < bounds.length) this.counts[i]! += count
    this.sum += value * count
    this.count += count
  }

  get(): {name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Array<{labels: Record<string, string | number>; value: number; metricName: string}>} {
    let cumulative = 0
    const values: Array<{labels: Record<string, string | number>; value: number; metricName: string}> = this.bounds.map((le, i) => {
      cumulative += this.counts[i]!
      return {labels: {le}, value: cumulative, metricName: `${this.name}_bucket`}
    })
    values.push(
      {labels: {le: '+Inf'}, value: this.count, metricName: `${this.name}_bucket`},
      {labels: {}, value: this.sum, metricName: `${this.name}_sum`},
      {labels: {}, value: this.count, metricName: `${this.name}_count`},
    )
    return {name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values}
  }

  reset(): void {
    this.counts.fill(0)
    this.sum = 0
    this.count = 0
  }
}

export interface ServeMetricsSource {
  readState(): BackendState
  lagSummary(): LagSummary
}

/**
 * The server's /metrics in Prometheus text, under vLLM's metric names and its
 * `model_name` label, so dashboards and autoscalers built for vLLM read a simulated
 * system unchanged. Times are on the simulation clock, which runs with the wall clock.
 * `tracebench:` metrics say how far the simulation lags the wall clock.
 */
export class ServeMetrics {
  readonly registry = new Registry()
  private readonly promptTokens: Counter
  private readonly generationTokens: Counter
  private readonly success: Counter<'finished_reason'>
  private readonly failures: Counter<'reason'>
  private readonly preemptions: Counter
  private readonly prefixQueries: Counter
  private readonly prefixHits: Counter
  private readonly ttft = new WeightedHistogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', ttftBuckets)
  private readonly itl = new WeightedHistogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', itlBuckets)
  private readonly tpotLegacy = new WeightedHistogram(
    'vllm:time_per_output_token_seconds',
    'Histogram of time per output token in seconds (older vLLM name of the inter-token latency).',
    itlBuckets,
  )
  private readonly e2e = new WeightedHistogram('vllm:e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', requestBuckets)
  private readonly queue = new WeightedHistogram('vllm:request_queue_time_seconds', 'Histogram of time spent waiting in the queue in seconds.', requestBuckets)
  private readonly lagHistogram = new WeightedHistogram('tracebench:clock_lag_seconds', 'How late each wake-up of the simulation ran against the time it was due.', lagBuckets)

  constructor(modelName: string, source: ServeMetricsSource) {
    const registers = [this.registry]
    this.registry.setDefaultLabels({model_name: modelName})
    const read = (): BackendState => source.readState()
    new Gauge({
      name: 'vllm:num_requests_running',
      help: 'Number of requests in model execution batches.',
      registers,
      collect() {
        this.set(read().batchSize)
      },
    })
    new Gauge({
      name: 'vllm:num_requests_waiting',
      help: 'Number of requests waiting to be processed.',
      registers,
      collect() {
        this.set(read().queueDepth)
      },
    })
    for (const name of ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc']) {
      new Gauge({
        name,
        help: 'KV-cache usage. 1 means 100 percent usage.',
        registers,
        collect() {
          this.set(read().kvUsage)
        },
      })
    }
    this.promptTokens = new Counter({name: 'vllm:prompt_tokens_total', help: 'Number of prefill tokens processed.', registers})
    this.generationTokens = new Counter({name: 'vllm:generation_tokens_total', help: 'Number of generation tokens processed.', registers})
    this.success = new Counter({name: 'vllm:request_success_total', help: 'Count of successfully processed requests.', labelNames: ['finished_reason'], registers})
    this.failures = new Counter({name: 'tracebench:request_failure_total', help: 'Requests the simulated backend could not serve, by reason.', labelNames: ['reason'], registers})
    this.preemptions = new Counter({name: 'vllm:num_preemptions_total', help: 'Cumulative number of preemptions from the engine.', registers})
    this.prefixQueries = new Counter({name: 'vllm:prefix_cache_queries_total', help: 'Prefix-cache queries, in prompt tokens.', registers})
    this.prefixHits = new Counter({name: 'vllm:prefix_cache_hits_total', help: 'Prefix-cache hits, in prompt tokens.', registers})
    for (const histogram of [this.ttft, this.itl, this.tpotLegacy, this.e2e, this.queue, this.lagHistogram]) this.registry.registerMetric(histogram as unknown as Metric)
    const lagGauge = (name: string, help: string, pick: (lag: LagSummary) => number | null): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(source.lagSummary()) ?? 0)
        },
      })
    }
    lagGauge('tracebench:clock_lag_p99_seconds', 'p99 of how late the simulation ran its wake-ups against the wall clock, since start.', (l) => (l.p99Ms === null ? null : l.p99Ms / 1000))
    lagGauge('tracebench:clock_lag_max_seconds', 'Largest lag of the simulation behind the wall clock, since start.', (l) => (l.maxMs === null ? null : l.maxMs / 1000))
  }

  recordLag(lagUs: number): void {
    this.lagHistogram.observe(lagUs / 1e6)
  }

  recordItl(gapUs: number, count: number): void {
    this.itl.observe(gapUs / 1e6, count)
    this.tpotLegacy.observe(gapUs / 1e6, count)
  }

  recordOutcome(outcome: RequestOutcome, finishedReason: string): void {
    this.ttft.observe((outcome.firstTokenUs - outcome.arrivalUs) / 1e6)
    this.e2e.observe((outcome.completionUs - outcome.arrivalUs) / 1e6)
    this.queue.observe(Math.max(0, outcome.startUs - outcome.arrivalUs) / 1e6)
    this.promptTokens.inc(outcome.inputTokens - outcome.cachedTokens)
    this.generationTokens.inc(outcome.outputTokens)
    this.prefixQueries.inc(outcome.inputTokens)
    this.prefixHits.inc(outcome.cachedTokens)
    if (outcome.preemptions > 0) this.preemptions.inc(outcome.preemptions)
    this.success.inc({finished_reason: finishedReason})
  }

  recordFailure(reason: string): void {
    this.failures.inc({reason})
  }

  async text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
