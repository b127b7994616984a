import {describe, expect, it} from 'vitest'
import {AggregatedBackend} from '../../src/backends/aggregated.js'
import type {SchedulerSettings} from '../../src/backends/backend-config.js'
import {applyEngineBehaviour, padToBucket, type EngineBehaviour} from '../../src/backends/engine-behaviour.js'
import {validateBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {createCostModel} from '../../src/cost/cost-model.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {parse} from 'yaml'
import {createFakeCostModel} from './fake-cost-model.js'
import {fakeAggregatedConfig, runRecords} from './run-harness.js'

/** Runs records on one replica whose cost model carries the scheduler's engine behaviours (as resolveBackend builds it). */
async function run(records: TraceRecord[], scheduler: Partial<SchedulerSettings>, fake = createFakeCostModel()) {
  const backendConfig = fakeAggregatedConfig({policy: 'prefill-first', ...scheduler})
  const cost = applyEngineBehaviour(fake, backendConfig.pool.scheduler as EngineBehaviour)
  return runRecords(records, (host) => new AggregatedBackend(backendConfig, cost, host))
}

/** `count` requests arriving together, prefilled in one prefill-first iteration, then decoded as one batch. */
const together = (count: number, input: number, output: number): TraceRecord[] => Array.from({length: count}, () => ({arrivalUs: 0, inputTokens: input, outputTokens: output}))

describe('decode batch buckets (captured CUDA-graph sizes)', () => {
  it('pads a batch to the next bucket, and runs unpadded beyond the largest', () => {
    const vllm = [1, 2, 4, 8, 16, 24, 32]
    expect([1, 3, 5, 9, 17, 32, 33, 100].map((n) => padToBucket(n, vllm))).toEqual([1, 4, 8, 16, 24, 32, 33, 100])
  })

  it('charges a decode step of 3 sequences exactly as a step of 4 (the padded rows are paid for)', async () => {
    const fake = createFakeCostModel()
    const prefillUs = fake.prefillTime(100, {batch: 3}).ms * 1000
    // Step j of the batch runs over 3 x (100 + j - 1) tokens of context, with 4 rows.
    const decodeUs = (rows: number) => {
      let sum = 0
      for (let j = 1; j < 20; j++) sum += fake.decodeStepTime(rows, 3 * (100 + j - 1)).ms * 1000
      return sum
    }
    const padded = await run(together(3, 100, 20), {decodeBatchBuckets: [1, 2, 4, 8]})
    const plain = await run(together(3, 100, 20), {})
    const eager = await run(together(3, 100, 20), {decodeBatchBuckets: [1, 2]})
    for (const o of padded.sink.outcomes) expect(Math.abs(o.completionUs - (prefillUs + decodeUs(4)))).toBeLessThanOrEqual(1)
    for (const o of plain.sink.outcomes) expect(Math.abs(o.completionUs - (prefillUs + decodeUs(3)))).toBeLessThanOrEqual(1)
    // The fake model charges 10 µs per decode row: 19 steps x one padded row.
    expect(padded.sink.outcomes[0]!.completionUs - plain.sink.outcomes[0]!.completionUs).toBe(190)
    expect(eager.sink.outcomes.map((o) => o.completionUs)).toEqual(plain.sink.outcomes.map((o) => o.completionUs))
  })

  it('leaves prompt iterations unpadded', () => {
    const fake = createFakeCostModel()
    const cost = applyEngineBehaviour(fake, {decodeBatchBuckets: [1, 8]})
    const work = {prefillTokens: 500, prefillSequences: 1, prefillContextTokenProducts: 0, decodeSequences: 3, decodeContextTokens: 3000}
    expect(cost.iterationMs(work)).toBe(fake.iterationMs(work))
    expect(cost.iterationMs({...work, prefillTokens: 0, prefillSequences: 0})).toBe(fake.iterationMs({...work, prefillTokens: 0, prefillSequences: 0, decodeSequences: 8}))
  })
})

describe('static KV slots', () => {
  it('reads the whole slot in decode attention, whatever the context', () => {
    const fake = createFakeCostModel()
    const cost = applyEngineBehaviour(fake, {staticKvSlotTokens: 4096})
    expect(cost.decodeStepMs(5, 1000)).toBe(fake.decodeStepMs(5, 5 * 4096))
    expect(cost.decodeStepTime(5, 1000).ms).toBe(fake.decodeStepTime(5, 5 * 4096).ms)
    // Prefill attends over the prompt it has, not the slot.
    expect(cost.prefillMs(300, 0)).toBe(fake.prefillMs(300, 0))
  })

  it('holds as many sequences as whole slots fit, and fails a request longer than a slot', async () => {
    const fake = createFakeCostModel({kvCapacityTokens: 10_000})
    const records = [...together(8, 100, 50), {arrivalUs: 0, inputTokens: 1500, outputTokens: 600}]
    const slotted = await run(records, {staticKvSlotTokens: 2000}, fake)
    const paged = await run(records, {}, fake)
    expect(slotted.sink.failures.map((f) => [f.index, f.reason])).toEqual([[8, 'exceeds-kv-slot']])
    expect(slotted.sink.failures[0]!.detail).toContain('a static slot of replica 0 holds 2000')
    expect(paged.sink.failures).toEqual([])
    // 10,000 tokens hold 5 slots of 2,000: never more than 5 running; paged memory runs all 8.
    expect(Math.max(...slotted.sink.samples.map((s) => s.batchSize))).toBe(5)
    expect(Math.max(...paged.sink.samples.map((s) => s.batchSize))).toBeGreaterThan(5)
  })
})

describe('eager prefill launch overhead', () => {
  it('gives a small prompt at least layers x the launch time, and leaves a large one alone', async () => {
    // The fake model has 10 layers: a floor of 10 x 500 µs = 5 ms.
    const fake = createFakeCostModel()
    const scheduler = {eagerPrefillLaunchUsPerLayer: 500}
    const small = await run([{arrivalUs: 0, inputTokens: 10, outputTokens: 1}], scheduler)
    const large = await run([{arrivalUs: 0, inputTokens: 100, outputTokens: 1}], scheduler)
    expect(fake.prefillMs(10, 0)).toBe(2) // 1 ms overhead + 10 x 100 µs, under the floor
    expect(small.sink.outcomes[0]!.firstTokenUs).toBe(5000)
    expect(large.sink.outcomes[0]!.firstTokenUs).toBe(Math.round(fake.prefillMs(100, 0) * 1000))
    const cost = applyEngineBehaviour(fake, scheduler)
    expect(cost.prefillTime(10)).toMatchObject({ms: 5, overheadMs: 4})
    // Pure decode steps (captured graphs) are not raised.
    expect(cost.decodeStepMs(1, 100)).toBe(fake.decodeStepMs(1, 100))
  })
})

const parseBackendText = (text: string, label: string) => validateBackendConfig(parse(text), label)

describe('engine behaviours in backend files', () => {
  const file = (scheduler: string) => `
kind: aggregated
description: test
model: llama-3.1-8b
sources: [test]
pool:
  hardware: h100-sxm
  replicas: 1
  scheduler: {policy: chunked, maxBatchSize: 256, maxBatchedTokens: 8192, blockTokens: 16${scheduler}}
`
  it('keeps the cost model itself when no behaviour is set (the default path is unchanged)', () => {
    const catalog = loadCatalog()
    const resolved = resolveBackend(parseBackendText(file(''), 'plain.yaml'), catalog)
    expect(resolved.pools[0]!.cost.decodeStepMs(3, 3000)).toBe(createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'}, catalog).decodeStepMs(3, 3000))
    expect(Object.keys(resolved.pools[0]!.cost)).toContain('hardwareSpec')
  })

  it('applies the scheduler options to the pool cost model', () => {
    const catalog = loadCatalog()
    const analytic = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'}, catalog)
    const resolved = resolveBackend(parseBackendText(file(', decodeBatchBuckets: [1, 2, 4, 8], staticKvSlotTokens: 8192'), 'vllm.yaml'), catalog)
    expect(resolved.pools[0]!.cost.decodeStepMs(3, 3000)).toBe(analytic.decodeStepMs(4, 3 * 8192))
  })

  it('names the field when buckets are out of order', () => {
    expect(() => parseBackendText(file(', decodeBatchBuckets: [1, 4, 2]'), 'bad.yaml')).toThrow(
      /bad\.yaml: pool\.scheduler\.decodeBatchBuckets: expected batch sizes in increasing order/,
    )
  })
})
