import type {BackendHost, SimBackend} from '../../src/backends/backend.js'
import type {AggregatedBackendConfig, SchedulerSettings} from '../../src/backends/backend-config.js'
import type {RequestFailure, RequestOutcome, StateSample} from '../../src/metrics/request-outcome.js'
import {batchesFromIterable} from '../../src/replay/arrivals.js'
import {ReplayRun, type ReplayRunResult} from '../../src/replay/replay-run.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'

export class CollectingSink {
  readonly outcomes: RequestOutcome[] = []
  readonly failures: RequestFailure[] = []
  readonly samples: StateSample[] = []
  /** Inter-token gaps as reported by the backends (gapUs, count). */
  readonly itl: Array<[number, number]> = []
  recordItlGaps(gapUs: number, count: number): void {
    this.itl.push([gapUs, count])
  }
  get itlCount(): number {
    return this.itl.reduce((n, [, c]) => n + c, 0)
  }
  get itlMeanUs(): number {
    return this.itl.reduce((s, [g, c]) => s + g * c, 0) / this.itlCount
  }
  recordOutcome(o: RequestOutcome): void {
    this.outcomes.push(o)
  }
  recordFailure(f: RequestFailure): void {
    this.failures.push(f)
  }
  sampleState(s: StateSample): void {
    this.samples.push(s)
  }
  byIndex(): Map<number, RequestOutcome> {
    return new Map(this.outcomes.map((o) => [o.index, o]))
  }
}

/** Replays records through a backend built by `createBackend`, collecting every outcome. */
export async function runRecords(
  records: TraceRecord[],
  createBackend: (host: BackendHost) => SimBackend,
  options: {rateScale?: number; seed?: number} = {},
): Promise<{sink: CollectingSink; result: ReplayRunResult}> {
  const sink = new CollectingSink()
  const run = new ReplayRun({
    records: batchesFromIterable(records, 7),
    arrivals: {rateScale: options.rateScale ?? 1},
    seed: options.seed ?? 1,
    sink,
    createBackend,
  })
  const result = await run.run()
  return {sink, result}
}

/** A one-pool aggregated backend on the fake hardware, least-loaded routing, with the given scheduler settings. */
export function fakeAggregatedConfig(scheduler: Partial<SchedulerSettings> = {}, replicas = 1): AggregatedBackendConfig {
  return {
    kind: 'aggregated',
    name: 'test',
    description: 'test backend',
    model: 'fake-model',
    sources: ['test'],
    routing: {policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4},
    pool: {
      hardware: 'fake-gpu',
      replicas,
      scheduler: {policy: 'chunked', maxBatchSize: 1024, maxBatchedTokens: 8192, blockTokens: 16, watermarkFraction: 0, prefixCaching: false, ...scheduler},
    },
  }
}
