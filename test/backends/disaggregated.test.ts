import {describe, expect, it} from 'vitest'
import type {DisaggregatedBackendConfig} from '../../src/backends/backend-config.js'
import {DisaggregatedBackend, type KvPathSpec} from '../../src/backends/disaggregated.js'
import {KvLinkNetwork, SharedLink} from '../../src/backends/kv-link-network.js'
import {Sequence} from '../../src/backends/sequence.js'
import {Simulator} from '../../src/kernel/simulator.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {loadBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {createFakeCostModel} from './fake-cost-model.js'
import {runRecords} from './run-harness.js'

const scheduler = {policy: 'chunked' as const, maxBatchSize: 256, maxBatchedTokens: 8192, blockTokens: 16, watermarkFraction: 0, prefixCaching: true}

function disaggConfig(prefillReplicas = 1, decodeReplicas = 1): DisaggregatedBackendConfig {
  return {
    kind: 'disaggregated',
    name: 'test-disagg',
    description: 'test',
    model: 'fake-model',
    sources: ['test'],
    routing: {policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4},
    prefill: {hardware: 'fake-prefill', replicas: prefillReplicas, scheduler},
    decode: {hardware: 'fake-decode', replicas: decodeReplicas, scheduler},
    kvTransfer: {link: 'fake-link', linksPerPrefillReplica: 1, overlapFraction: 0},
  }
}

// 1,000 bytes of KV per token over a 10 MB/s path: 1 s per 10,000 tokens, plus 500 µs fixed.
const path: KvPathSpec = {egressBytesPerS: 10e6, ingressBytesPerS: Number.POSITIVE_INFINITY, fixedUs: 500, overlapFraction: 0}

describe('disaggregated prefill → KV transfer → decode', () => {
  it('gives one request on an idle backend TTFT = prefill + transfer and TPOT = batch-1 decode', async () => {
    const prefillCost = createFakeCostModel({prefillUsPerToken: 20})
    const decodeCost = createFakeCostModel({decodeUsPerSequence: 300, overheadUs: 100})
    const record: TraceRecord = {arrivalUs: 0, inputTokens: 2000, outputTokens: 40}
    const {sink} = await runRecords([record], (host) => new DisaggregatedBackend(disaggConfig(), prefillCost, decodeCost, path, host))
    const o = sink.outcomes[0]!
    const prefillUs = prefillCost.prefillTime(2000).ms * 1000
    const transferUs = 500 + (2000 * 1000) / 10
    expect(o.kvTransferUs).toBe(Math.round(transferUs))
    expect(Math.abs(o.firstTokenUs - o.arrivalUs - (prefillUs + transferUs))).toBeLessThanOrEqual(1)
    let decodeUs = 0
    for (let j = 1; j < 40; j++) decodeUs += decodeCost.decodeStepTime(1, 2000 + j - 1).ms * 1000
    expect(Math.abs(o.completionUs - o.firstTokenUs - decodeUs)).toBeLessThanOrEqual(1)
  })

  it('hides part of the transfer under the prefill with layer-wise overlap', async () => {
    const prefillCost = createFakeCostModel({prefillUsPerToken: 20})
    const decodeCost = createFakeCostModel()
    const overlapped = {...path, overlapFraction: 0.8}
    const record: TraceRecord = {arrivalUs: 0, inputTokens: 2000, outputTokens: 2}
    const {sink} = await runRecords([record], (host) => new DisaggregatedBackend(disaggConfig(), prefillCost, decodeCost, overlapped, host))
    const o = sink.outcomes[0]!
    const bytes = 2000 * 1000
    const prefillUs = prefillCost.prefillTime(2000).ms * 1000
    // The path carries 10 bytes/µs: at most 0.8 x prefill x 10 bytes are across when the prefill ends.
    const exposedBytes = Math.max(0.2 * bytes, bytes - 0.8 * prefillUs * 10)
    expect(o.kvTransferUs).toBe(Math.round(500 + exposedBytes / 10))
  })

  it('a request with one output token needs no decode and no transfer', async () => {
    const cost = createFakeCostModel()
    const {sink} = await runRecords([{arrivalUs: 0, inputTokens: 500, outputTokens: 1}], (host) => new DisaggregatedBackend(disaggConfig(), cost, cost, path, host))
    expect(sink.outcomes[0]!.kvTransferUs).toBe(0)
    expect(sink.outcomes[0]!.completionUs).toBe(sink.outcomes[0]!.firstTokenUs)
  })

  it('fails a request whose context does not fit the decode pool, naming the pool', async () => {
    const prefillCost = createFakeCostModel({kvCapacityTokens: 100_000})
    const decodeCost = createFakeCostModel({kvCapacityTokens: 3000})
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 2900, outputTokens: 500},
      {arrivalUs: 10, inputTokens: 1000, outputTokens: 50},
    ]
    const {sink} = await runRecords(records, (host) => new DisaggregatedBackend(disaggConfig(), prefillCost, decodeCost, path, host))
    expect(sink.failures).toHaveLength(1)
    expect(sink.failures[0]!.reason).toBe('exceeds-kv-capacity')
    expect(sink.failures[0]!.detail).toContain('decode pool')
    expect(sink.outcomes).toHaveLength(1)
  })

  it('accounts for every request under load, with decode-side KV pressure and preemption', async () => {
    const prefillCost = createFakeCostModel({prefillUsPerToken: 5})
    const decodeCost = createFakeCostModel({kvCapacityTokens: 6000, decodeUsPerSequence: 50})
    const records: TraceRecord[] = Array.from({length: 60}, (_, i) => ({arrivalUs: i * 2000, inputTokens: 400 + ((i * 37) % 900), outputTokens: 200 + ((i * 53) % 700)}))
    const {sink, result} = await runRecords(records, (host) => new DisaggregatedBackend(disaggConfig(2, 2), prefillCost, decodeCost, path, host))
    expect(sink.outcomes.length + sink.failures.length).toBe(60)
    expect(sink.failures).toHaveLength(0)
    expect(sink.itlCount).toBe(sink.outcomes.reduce((n, o) => n + o.outputTokens - 1, 0))
    for (const o of sink.outcomes) expect(o.kvTransferUs).toBeGreaterThan(0)
    expect(result.counters.kvTransfers).toBeGreaterThanOrEqual(60)
  })
})

describe('KV transfers as measured: descriptors, achieved bandwidth, timeouts', () => {
  it('pays each descriptor of the exposed bytes on top of latency, setup and bytes', async () => {
    const prefillCost = createFakeCostModel({prefillUsPerToken: 20})
    const decodeCost = createFakeCostModel()
    // 2,000 tokens x 1,000 B = 2 MB in 100 kB descriptors: 20 of them at 10 µs.
    const measured = {...path, descriptorUs: 10, descriptorBytes: 100_000}
    const one = await runRecords([{arrivalUs: 0, inputTokens: 2000, outputTokens: 2}], (host) => new DisaggregatedBackend(disaggConfig(), prefillCost, decodeCost, measured, host))
    expect(one.sink.outcomes[0]!.kvTransferUs).toBe(500 + 20 * 10 + (2000 * 1000) / 10)
    // With layer-wise overlap only the exposed bytes' descriptors are left after the prefill.
    const overlapped = {...measured, overlapFraction: 0.8}
    const two = await runRecords([{arrivalUs: 0, inputTokens: 2000, outputTokens: 2}], (host) => new DisaggregatedBackend(disaggConfig(), prefillCost, decodeCost, overlapped, host))
    const prefillUs = prefillCost.prefillTime(2000).ms * 1000
    const exposed = Math.max(0.2 * 2e6, 2e6 - 0.8 * prefillUs * 10)
    expect(two.sink.outcomes[0]!.kvTransferUs).toBe(Math.round(500 + Math.ceil(exposed / 100_000) * 10 + exposed / 10))
  })

  it('fails a transfer that has not landed within the timeout, frees both sides, and serves the next request', async () => {
    const prefillCost = createFakeCostModel({prefillUsPerToken: 20})
    // The decode side holds one of the two contexts at a time: the timed-out reservation must be freed.
    const decodeCost = createFakeCostModel({kvCapacityTokens: 2500})
    const timed = {...path, timeoutUs: 150_000}
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 2000, outputTokens: 5}, // 200.5 ms of transfer: times out at 150 ms
      {arrivalUs: 1_000_000, inputTokens: 1000, outputTokens: 5}, // 100.5 ms: lands
    ]
    const {sink, result} = await runRecords(records, (host) => new DisaggregatedBackend(disaggConfig(), prefillCost, decodeCost, timed, host))
    expect(sink.failures.map((f) => [f.index, f.reason])).toEqual([[0, 'kv-transfer-timeout']])
    expect(sink.failures[0]!.detail).toContain('had not landed 150 ms after it started')
    expect(sink.outcomes.map((o) => o.index)).toEqual([1])
    expect(sink.outcomes[0]!.kvTransferUs).toBe(100_500)
    expect(result.counters.kvTransferTimeouts).toBe(1)
  })

  it('takes the achieved bandwidth, descriptors and timeout of a preset from the catalog and the backend file', () => {
    const resolved = resolveBackend(loadBackendConfig('trn3-cs3'), loadCatalog())
    expect(resolved.kvPath).toMatchObject({egressBytesPerS: 100e9 * 0.71, fixedUs: 25 + 1000, descriptorUs: 3.75, descriptorBytes: 93_560, timeoutUs: 60e6})
    const config = loadBackendConfig('trn3-cs3')
    if (config.kind !== 'disaggregated') throw new Error('trn3-cs3 is disaggregated')
    config.kvTransfer.achievedBandwidthFraction = 0.043
    expect(resolveBackend(config, loadCatalog()).kvPath!.egressBytesPerS).toBeCloseTo(4.3e9, 0)
  })
})

describe('shared KV links', () => {
  it('cancels a timed-out transfer and gives its bandwidth back to the others', async () => {
    const sim = new Simulator()
    const done = new Map<number, number>()
    const timedOut = new Map<number, number>()
    const network = new KvLinkNetwork(sim, {onTransferDone: (seq, now) => done.set(seq.index, now), onTransferTimeout: (seq, now) => timedOut.set(seq.index, now)})
    const egress = new SharedLink('egress', 100)
    const ingress = new SharedLink('ingress', Number.POSITIVE_INFINITY)
    network.start(new Sequence(0, 0, 1, 1, undefined, undefined, undefined, 512), egress, ingress, 30_000, 0, 100)
    network.start(new Sequence(1, 0, 1, 1, undefined, undefined, undefined, 512), egress, ingress, 15_000, 0)
    await sim.run()
    // Both at 50 B/µs; a is cancelled at 100 µs, b has 10,000 B left and gets all 100 B/µs.
    expect(timedOut.get(0)).toBe(100)
    expect(done.has(0)).toBe(false)
    expect(done.get(1)).toBeCloseTo(200, 6)
    expect(network.transfersTimedOut).toBe(1)
  })

  it('splits a link between concurrent transfers and speeds the survivor up when one ends', async () => {
    const sim = new Simulator()
    const done = new Map<number, number>()
    const network = new KvLinkNetwork(sim, {onTransferDone: (seq, now) => done.set(seq.index, now)})
    const egress = new SharedLink('egress', 100) // bytes per µs
    const ingress = new SharedLink('ingress', Number.POSITIVE_INFINITY)
    const a = new Sequence(0, 0, 1, 1, undefined, undefined, undefined, 512)
    const b = new Sequence(1, 0, 1, 1, undefined, undefined, undefined, 512)
    network.start(a, egress, ingress, 10_000, 0)
    network.start(b, egress, ingress, 30_000, 0)
    await sim.run()
    // Both at 50 B/µs until a finishes at 200 µs (10,000 B); b then has 20,000 B left at 100 B/µs.
    expect(done.get(0)).toBeCloseTo(200, 6)
    expect(done.get(1)).toBeCloseTo(400, 6)
  })

  it('limits a transfer by the slower of its egress and ingress shares', async () => {
    const sim = new Simulator()
    const done = new Map<number, number>()
    const network = new KvLinkNetwork(sim, {onTransferDone: (seq, now) => done.set(seq.index, now)})
    const egressA = new SharedLink('a', 100)
    const egressB = new SharedLink('b', 100)
    const ingress = new SharedLink('in', 100)
    network.start(new Sequence(0, 0, 1, 1, undefined, undefined, undefined, 512), egressA, ingress, 10_000, 25)
    network.start(new Sequence(1, 0, 1, 1, undefined, undefined, undefined, 512), egressB, ingress, 10_000, 25)
    await sim.run()
    expect(done.get(0)).toBeCloseTo(25 + 200, 6)
    expect(done.get(1)).toBeCloseTo(25 + 200, 6)
  })
})
