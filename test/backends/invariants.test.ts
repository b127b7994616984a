import {describe, expect, it} from 'vitest'
import {AggregatedBackend} from '../../src/backends/aggregated.js'
import type {AggregatedBackendConfig, DisaggregatedBackendConfig} from '../../src/backends/backend-config.js'
import type {BatchingReplica, SchedulerPolicy} from '../../src/backends/continuous-batching.js'
import {DisaggregatedBackend} from '../../src/backends/disaggregated.js'
import {createRng} from '../../src/common/seeded-random.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {createFakeCostModel} from './fake-cost-model.js'
import {runRecords} from './run-harness.js'

/** A mix of plain requests, Mooncake-style shared hash prefixes and multi-turn sessions. */
function mixedRecords(seed: number, count: number): TraceRecord[] {
  const rng = createRng(seed)
  const records: TraceRecord[] = []
  let t = 0
  let nextId = 1000
  const sessions = new Map<string, {turn: number; input: number}>()
  for (let i = 0; i < count; i++) {
    t += rng.exponential(1 / 3000)
    const kind = rng.integer(0, 2)
    const outputTokens = rng.integer(1, 400)
    if (kind === 0) {
      records.push({arrivalUs: Math.round(t), inputTokens: rng.integer(10, 2500), outputTokens})
    } else if (kind === 1) {
      const inputTokens = rng.integer(600, 3000)
      const blocks = Math.ceil(inputTokens / 512)
      const shared = rng.integer(0, Math.min(3, blocks))
      const hashIds = Array.from({length: blocks}, (_, b) => (b < shared ? b : nextId++))
      records.push({arrivalUs: Math.round(t), inputTokens, outputTokens, hashIds, blockSize: 512})
    } else {
      const id = `s${rng.integer(0, 6)}`
      const state = sessions.get(id) ?? {turn: 0, input: rng.integer(200, 1000)}
      state.input = Math.min(3500, state.input + rng.integer(50, 400))
      records.push({arrivalUs: Math.round(t), inputTokens: state.input, outputTokens, sessionId: id, turn: state.turn, thinkTimeUs: state.turn === 0 ? undefined : rng.integer(0, 20_000)})
      state.turn++
      sessions.set(id, state)
    }
  }
  return records
}

function expectDrained(replicas: readonly BatchingReplica[]): void {
  for (const r of replicas) {
    expect(r.pool.seqBlocks, `replica ${r.index} blocks owned by sequences at the end`).toBe(0)
    expect(r.pool.pinnedCacheBlocks, `replica ${r.index} pinned prefix blocks at the end`).toBe(0)
    expect(r.pool.freeBlocks).toBeGreaterThanOrEqual(0)
    expect(r.load).toBe(0)
  }
}

describe('scheduling invariants under pressure', () => {
  for (const policy of ['chunked', 'prefill-first', 'decode-first'] as SchedulerPolicy[]) {
    for (const seed of [1, 2, 3]) {
      it(`aggregated, ${policy}, seed ${seed}: every request finishes once, memory is returned`, async () => {
        const cost = createFakeCostModel({kvCapacityTokens: 9000})
        const config: AggregatedBackendConfig = {
          kind: 'aggregated',
          name: 'fuzz',
          description: 'fuzz',
          model: 'fake',
          sources: ['test'],
          routing: {policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4},
          pool: {hardware: 'fake', replicas: 2, scheduler: {policy, maxBatchSize: 32, maxBatchedTokens: 1024, blockTokens: 16, watermarkFraction: 0.01, prefixCaching: true}},
        }
        const records = mixedRecords(seed, 400)
        let backend: AggregatedBackend | undefined
        const {sink} = await runRecords(records, (host) => (backend = new AggregatedBackend(config, cost, host)))
        const seen = new Set([...sink.outcomes.map((o) => o.index), ...sink.failures.map((f) => f.index)])
        expect(seen.size).toBe(records.length)
        expect(sink.outcomes.length + sink.failures.length).toBe(records.length)
        for (const o of sink.outcomes) {
          expect(o.startUs).toBeGreaterThanOrEqual(o.arrivalUs)
          expect(o.firstTokenUs).toBeGreaterThan(o.startUs)
          expect(o.completionUs).toBeGreaterThanOrEqual(o.firstTokenUs)
        }
        expect(sink.itlCount).toBe(sink.outcomes.reduce((n, o) => n + Math.max(0, o.outputTokens - 1), 0))
        expectDrained(backend!.replicas)
      })
    }
  }

  for (const seed of [4, 5]) {
    it(`disaggregated, seed ${seed}: preemptions on the decode side go back through prefill, nothing is lost`, async () => {
      const prefillCost = createFakeCostModel({kvCapacityTokens: 12_000, prefillUsPerToken: 10})
      const decodeCost = createFakeCostModel({kvCapacityTokens: 7000, decodeUsPerSequence: 40})
      const scheduler = {policy: 'chunked' as const, maxBatchSize: 64, maxBatchedTokens: 2048, blockTokens: 16, watermarkFraction: 0.01, prefixCaching: true}
      const config: DisaggregatedBackendConfig = {
        kind: 'disaggregated',
        name: 'fuzz',
        description: 'fuzz',
        model: 'fake',
        sources: ['test'],
        routing: {policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4},
        prefill: {hardware: 'fake', replicas: 2, scheduler},
        decode: {hardware: 'fake', replicas: 2, scheduler},
        kvTransfer: {link: 'fake', linksPerPrefillReplica: 1, overlapFraction: 0.5},
      }
      const records = mixedRecords(seed, 400)
      let backend: DisaggregatedBackend | undefined
      const path = {egressBytesPerS: 50e6, ingressBytesPerS: 80e6, fixedUs: 100, overlapFraction: 0.5}
      const {sink, result} = await runRecords(records, (host) => (backend = new DisaggregatedBackend(config, prefillCost, decodeCost, path, host)))
      expect(sink.outcomes.length + sink.failures.length).toBe(records.length)
      expect(new Set(sink.outcomes.map((o) => o.index)).size).toBe(sink.outcomes.length)
      expect(result.counters['decode.preemptions']).toBeGreaterThan(0)
      expect(sink.itlCount).toBe(sink.outcomes.reduce((n, o) => n + Math.max(0, o.outputTokens - 1), 0))
      expectDrained(backend!.prefill)
      expectDrained(backend!.decode)
      for (const r of backend!.prefill) expect(r.pool.seqBlocks).toBe(0)
    })
  }
})

describe('decode-set block accounting', () => {
  it('counts the blocks n more steps need exactly as a per-sequence sum would', async () => {
    const {DecodeSet} = await import('../../src/backends/decode-set.js')
    const {Sequence} = await import('../../src/backends/sequence.js')
    const rng = createRng(99)
    for (const bt of [1, 7, 16]) {
      const set = new DecodeSet(bt)
      const members: InstanceType<typeof Sequence>[] = []
      for (let i = 0; i < 40; i++) {
        set.G += rng.integer(0, 5)
        const seq = new Sequence(i, 0, rng.integer(1, 500), 10_000, undefined, undefined, undefined, 512)
        seq.generated = 1
        seq.ownTokens = rng.integer(1, seq.inputTokens)
        set.add(seq)
        members.push(seq)
        for (const n of [1, 2, bt - 1, bt, bt + 3, 5 * bt + 2, 37]) {
          if (n < 1) continue
          let expected = 0
          for (const m of members) {
            const own = set.ownTokensNow(m)
            expected += Math.ceil((own + n) / bt) - Math.ceil(own / bt)
          }
          expect(set.blocksNeeded(n), `bt ${bt}, n ${n}, ${members.length} members`).toBe(expected)
        }
      }
    }
  })
})

describe('inter-token gaps recorded by the MetricsRecorder', () => {
  it('puts every reported gap into the ITL histogram with its count (no outcome carries gaps)', async () => {
    const {ReplayRun} = await import('../../src/replay/replay-run.js')
    const {batchesFromIterable} = await import('../../src/replay/arrivals.js')
    const {MetricsRecorder} = await import('../../src/metrics/recorder.js')
    const {decodeHistogram, recordValueUs, createLatencyHistogram, encodeHistogram} = await import('../../src/metrics/histograms.js')
    const cost = createFakeCostModel({kvCapacityTokens: 9000})
    const config: AggregatedBackendConfig = {
      kind: 'aggregated',
      name: 'fuzz',
      description: 'fuzz',
      model: 'fake',
      sources: ['test'],
      routing: {policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4},
      pool: {hardware: 'fake', replicas: 2, scheduler: {policy: 'chunked', maxBatchSize: 32, maxBatchedTokens: 1024, blockTokens: 16, watermarkFraction: 0.01, prefixCaching: true}},
    }
    const records = mixedRecords(8, 300)
    const direct = await runRecords(records, (host) => new AggregatedBackend(config, cost, host))
    const recorder = new MetricsRecorder()
    let outcomeGaps = 0
    let decodeTokens = 0
    const sink = {
      recordOutcome(o: Parameters<typeof recorder.recordOutcome>[0]) {
        outcomeGaps += o.itlGapsUs.length
        decodeTokens += Math.max(0, o.outputTokens - 1)
        recorder.recordOutcome(o)
      },
      recordFailure: (f: Parameters<typeof recorder.recordFailure>[0]) => recorder.recordFailure(f),
      sampleState: (s: Parameters<typeof recorder.sampleState>[0]) => recorder.sampleState(s),
      recordItlGaps: (gapUs: number, count: number) => recorder.recordItlGaps(gapUs, count),
    }
    const run = new ReplayRun({
      records: batchesFromIterable(records),
      arrivals: {rateScale: 1},
      seed: 1,
      sink,
      createBackend: (host) => new AggregatedBackend(config, cost, host),
    })
    const result = await run.run()
    const snapshot = recorder.finish({startUs: result.startUs, endUs: result.endUs})
    expect(outcomeGaps).toBe(0)
    expect(snapshot.metrics.itl.count).toBe(decodeTokens)
    expect(snapshot.metrics.itl.count).toBe(direct.sink.itlCount)
    // Exactly the histogram of the gaps the backend reported.
    const expected = createLatencyHistogram()
    for (const [gapUs, count] of direct.sink.itl) recordValueUs(expected, gapUs, count)
    expect(snapshot.metrics.itl.histogram).toBe(encodeHistogram(expected))
    expect(decodeHistogram(snapshot.metrics.itl.histogram).totalCount).toBe(decodeTokens)
  })
})
