import {describe, expect, it} from 'vitest'
import {AggregatedBackend} from '../../src/backends/aggregated.js'
import type {AggregatedBackendConfig} from '../../src/backends/backend-config.js'
import type {SchedulerPolicy} from '../../src/backends/continuous-batching.js'
import {createRng} from '../../src/common/seeded-random.js'
import type {CostModel} from '../../src/cost/types.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {createFakeCostModel} from './fake-cost-model.js'
import {simulateNaively} from './naive-reference.js'
import {fakeAggregatedConfig, runRecords} from './run-harness.js'

function aggregatedConfig(overrides: {policy?: SchedulerPolicy; maxBatchedTokens?: number; maxBatchSize?: number; blockTokens?: number; replicas?: number; prefixCaching?: boolean; watermarkFraction?: number} = {}): AggregatedBackendConfig {
  const {replicas, ...scheduler} = overrides
  return fakeAggregatedConfig(scheduler, replicas)
}

function randomRecords(seed: number, count: number, meanGapUs: number, maxInput = 3000, maxOutput = 300): TraceRecord[] {
  const rng = createRng(seed)
  const records: TraceRecord[] = []
  let t = 0
  for (let i = 0; i < count; i++) {
    records.push({arrivalUs: Math.round(t), inputTokens: rng.integer(20, maxInput), outputTokens: rng.integer(1, maxOutput)})
    t += rng.exponential(1 / meanGapUs)
  }
  return records
}

async function runAggregated(records: TraceRecord[], cost: CostModel, config: AggregatedBackendConfig) {
  return runRecords(records, (host) => new AggregatedBackend(config, cost, host))
}

describe('continuous batching on one replica', () => {
  it('gives one request on an idle replica TTFT = prefill and TPOT = the batch-1 decode steps', async () => {
    const cost = createFakeCostModel()
    const record: TraceRecord = {arrivalUs: 5000, inputTokens: 1200, outputTokens: 50}
    const {sink} = await runAggregated([record], cost, aggregatedConfig())
    const o = sink.outcomes[0]!
    expect(o.firstTokenUs - o.arrivalUs).toBe(Math.round(cost.prefillTime(1200).ms * 1000))
    // Decode step j runs over input + j - 1 tokens of context.
    let sumUs = 0
    for (let j = 1; j < 50; j++) sumUs += cost.decodeStepTime(1, 1200 + j - 1).ms * 1000
    expect(Math.abs(o.completionUs - o.firstTokenUs - sumUs)).toBeLessThanOrEqual(1)
    expect(sink.itlCount).toBe(49)
    expect(Math.abs(sink.itlMeanUs - sumUs / 49)).toBeLessThan(0.5)
    expect(o.startUs).toBe(o.arrivalUs)
    expect(o.preemptions).toBe(0)
  })

  for (const policy of ['prefill-first', 'chunked', 'decode-first'] as const) {
    it(`reproduces a step-by-step reference simulation exactly (${policy})`, async () => {
      // A kinked decode cost (a floor) checks that stretches split where the bound switches.
      const cost = createFakeCostModel({decodeFloorUs: 1400, decodeUsPerContextToken: 0.05})
      const records = randomRecords(11, 80, 40_000)
      const budget = policy === 'chunked' ? 700 : 4096
      const reference = simulateNaively(records, cost, policy, budget)
      const {sink} = await runAggregated(records, cost, aggregatedConfig({policy, maxBatchedTokens: budget}))
      expect(sink.outcomes).toHaveLength(records.length)
      for (const o of sink.outcomes) {
        const ref = reference.get(o.index)!
        expect(Math.abs(o.firstTokenUs - ref.firstTokenUs), `first token of #${o.index}`).toBeLessThanOrEqual(1)
        expect(Math.abs(o.completionUs - ref.completionUs), `completion of #${o.index}`).toBeLessThanOrEqual(1)
      }
      // The gaps reported per replica add up to every request's first-to-last-token time.
      expect(sink.itlCount).toBe(records.reduce((n, r) => n + r.outputTokens - 1, 0))
      let spanUs = 0
      for (const ref of reference.values()) spanUs += ref.completionUs - ref.firstTokenUs
      expect(Math.abs(sink.itlMeanUs * sink.itlCount - spanUs)).toBeLessThanOrEqual(0.5 * sink.itl.length + records.length)
    })
  }

  it('accounts for every request and fails those larger than the KV cache', async () => {
    const cost = createFakeCostModel({kvCapacityTokens: 4000})
    const records = randomRecords(3, 40, 50_000, 2500, 200)
    records[7] = {...records[7]!, inputTokens: 3900, outputTokens: 200}
    const {sink, result} = await runAggregated(records, cost, aggregatedConfig({blockTokens: 16}))
    expect(sink.outcomes.length + sink.failures.length).toBe(records.length)
    expect(sink.failures.map((f) => [f.index, f.reason])).toEqual([[7, 'exceeds-kv-capacity']])
    expect(result.completed).toBe(39)
  })

  it('preempts the newest sequence when KV runs out, recomputes it, and still finishes everything', async () => {
    // Eight long outputs into a cache that holds about three of them at full length.
    const cost = createFakeCostModel({kvCapacityTokens: 3 * 1600})
    const records: TraceRecord[] = Array.from({length: 8}, (_, i) => ({arrivalUs: i * 10, inputTokens: 600, outputTokens: 1000}))
    const {sink, result} = await runAggregated(records, cost, aggregatedConfig({blockTokens: 16}))
    expect(sink.outcomes).toHaveLength(8)
    const preemptions = sink.outcomes.reduce((sum, o) => sum + o.preemptions, 0)
    expect(preemptions).toBeGreaterThan(0)
    expect(result.counters.preemptions).toBe(preemptions)
    // Every output token after the first is one inter-token gap, preempted or not.
    expect(sink.itlCount).toBe(sink.outcomes.reduce((n, o) => n + o.outputTokens - 1, 0))
  })

  it('does not overrun a small KV cache: blocks in use never exceed capacity', async () => {
    const cost = createFakeCostModel({kvCapacityTokens: 5000})
    const records = randomRecords(5, 120, 5_000, 1500, 400)
    const {sink} = await runAggregated(records, cost, aggregatedConfig({blockTokens: 16}))
    expect(sink.outcomes.length + sink.failures.length).toBe(120)
    for (const s of sink.samples) expect(s.kvUsage).toBeLessThanOrEqual(1)
    expect(Math.max(...sink.samples.map((s) => s.kvUsage))).toBeGreaterThan(0.5)
  })

  it('advances decode in closed form: work grows with requests, not with output tokens', async () => {
    const cost = createFakeCostModel()
    const short = randomRecords(9, 200, 20_000, 1000, 100)
    const long = short.map((r) => ({...r, outputTokens: r.outputTokens * 50}))
    const a = await runAggregated(short, cost, aggregatedConfig())
    const b = await runAggregated(long, cost, aggregatedConfig())
    const tokensRatio = long.reduce((s, r) => s + r.outputTokens, 0) / short.reduce((s, r) => s + r.outputTokens, 0)
    expect(tokensRatio).toBeGreaterThan(40)
    // Events per request stay in the same range when each request has 50x the tokens.
    expect(b.result.eventsHandled / a.result.eventsHandled).toBeLessThan(3)
  })

  it('serves a repeated prefix from the cache: Mooncake-style hash blocks', async () => {
    const cost = createFakeCostModel()
    const shared = [1, 2, 3, 4]
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 2100, outputTokens: 5, hashIds: [...shared, 5], blockSize: 512},
      {arrivalUs: 1_000_000, inputTokens: 2300, outputTokens: 5, hashIds: [...shared, 6], blockSize: 512},
      {arrivalUs: 2_000_000, inputTokens: 1000, outputTokens: 5, hashIds: [7, 8], blockSize: 512},
    ]
    const {sink} = await runAggregated(records, cost, aggregatedConfig({prefixCaching: true}))
    const byIndex = sink.byIndex()
    expect(byIndex.get(0)!.cachedTokens).toBe(0)
    expect(byIndex.get(1)!.cachedTokens).toBe(4 * 512)
    expect(byIndex.get(2)!.cachedTokens).toBe(0)
    // The hit shortens the prefill to the uncached tokens (attention over the prefix included).
    const ttft1 = byIndex.get(1)!.firstTokenUs - byIndex.get(1)!.arrivalUs
    expect(ttft1).toBe(Math.round(cost.prefillTime(2300 - 2048, {cachedPrefixTokens: 2048}).ms * 1000))
  })

  it('caches a session turn (prompt and answer) for the next turn, within a bounded cache', async () => {
    const cost = createFakeCostModel({kvCapacityTokens: 20_000})
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 3000, outputTokens: 100, sessionId: 's', turn: 0},
      {arrivalUs: 10, inputTokens: 3300, outputTokens: 100, sessionId: 's', turn: 1, thinkTimeUs: 1000},
    ]
    const {sink} = await runAggregated(records, cost, aggregatedConfig({prefixCaching: true}))
    const turn1 = sink.byIndex().get(1)!
    expect(turn1.cachedTokens).toBe(3000 + 100 - 1)
    // Bounded: a session context larger than what stays free is evicted, not kept.
    const tight = createFakeCostModel({kvCapacityTokens: 3200})
    const run2 = await runAggregated(
      [
        {arrivalUs: 0, inputTokens: 3000, outputTokens: 100, sessionId: 'a', turn: 0},
        {arrivalUs: 1, inputTokens: 3000, outputTokens: 100, sessionId: 'b', turn: 0},
        {arrivalUs: 2, inputTokens: 3150, outputTokens: 10, sessionId: 'a', turn: 1, thinkTimeUs: 0},
      ],
      tight,
      aggregatedConfig({prefixCaching: true}),
    )
    expect(run2.sink.outcomes).toHaveLength(3)
    expect(run2.sink.byIndex().get(2)!.cachedTokens).toBe(0)
  })
})

describe('routing over replicas', () => {
  it('spreads simultaneous requests over idle replicas (least loaded)', async () => {
    const cost = createFakeCostModel()
    const records: TraceRecord[] = Array.from({length: 4}, () => ({arrivalUs: 0, inputTokens: 1000, outputTokens: 10}))
    const {sink} = await runAggregated(records, cost, aggregatedConfig({replicas: 4}))
    const ttfts = sink.outcomes.map((o) => o.firstTokenUs - o.arrivalUs)
    // Each alone on its replica: all four see the single-request prefill time.
    for (const ttft of ttfts) expect(ttft).toBe(Math.round(cost.prefillTime(1000).ms * 1000))
  })

  it('follows a cached prefix with prefix-aware routing', async () => {
    const cost = createFakeCostModel({prefillUsPerToken: 5})
    // 41 conversations of 6 requests each (41, so that round-robin does not keep them in
    // place by accident); each request extends its conversation's block
    // chain (block 0, a shared system prompt, is common to all).
    const records: TraceRecord[] = []
    let t = 0
    for (let turn = 0; turn < 6; turn++) {
      for (let c = 0; c < 41; c++) {
        const blocks = 2 + turn
        const hashIds = Array.from({length: blocks}, (_, b) => (b === 0 ? 0 : 1 + c * 100 + b))
        records.push({arrivalUs: Math.round((t += 8000)), inputTokens: blocks * 512, outputTokens: 20, hashIds, blockSize: 512})
      }
    }
    // With an unbounded cache: block 0 for every conversation but the first, and the
    // whole previous chain (turn + 1 blocks) for every later turn.
    const potential = 40 * 512 + 41 * (2 + 3 + 4 + 5 + 6) * 512
    const cached = async (policy: 'round-robin' | 'prefix-aware') => {
      const config = aggregatedConfig({replicas: 4, prefixCaching: true})
      config.routing = {policy, sessionAffinity: true, maxImbalance: 4}
      const {sink} = await runAggregated(records, cost, config)
      expect(sink.outcomes).toHaveLength(records.length)
      return sink.outcomes.reduce((n, o) => n + o.cachedTokens, 0)
    }
    expect(await cached('prefix-aware')).toBeGreaterThan(0.95 * potential)
    expect(await cached('round-robin')).toBeLessThan(0.5 * potential)
  })
})
