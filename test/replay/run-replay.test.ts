import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {listPresetNames} from '../../src/backends/load-backend.js'
import {ConfigError, TracebenchError} from '../../src/common/errors.js'
import {kvTransferTime} from '../../src/cost/kv-transfer.js'
import {serializeResults} from '../../src/metrics/results-file.js'
import {runReplay, runReplayDetailed} from '../../src/replay/run-replay.js'

const fixtures = fileURLToPath(new URL('../fixtures/backends/', import.meta.url))
const sharedTraces = fileURLToPath(new URL('../../../shared/traces/', import.meta.url))
const hasShared = existsSync(sharedTraces)
if (!hasShared) console.warn(`skipping tests on real traces: ${sharedTraces} not found`)
const azureConv = join(sharedTraces, 'azure-2023/AzureLLMInferenceTrace_conv.csv')
const azureCode = join(sharedTraces, 'azure-2023/AzureLLMInferenceTrace_code.csv')
const mooncakeConv = join(sharedTraces, 'mooncake/conversation_trace.jsonl')

interface RequestRow {
  index: number
  arrivalUs: number
  startUs: number
  firstTokenUs: number
  completionUs: number
  outputTokens: number
  kvTransferUs: number
  turn?: number
}

function readRequests(path: string): RequestRow[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RequestRow)
}

const tmp = mkdtempSync(join(tmpdir(), 'tracebench-replay-'))

describe('one request on an idle backend (real cost model)', () => {
  for (const backend of ['gpu-h100', 'gpu-b200', 'cs3', 'trn3-cs3']) {
    it(`${backend}: TTFT = prefill${backend === 'trn3-cs3' ? ' + KV transfer' : ''}, TPOT = batch-1 decode`, async () => {
      const requestsOut = join(tmp, `one-${backend}.jsonl`)
      const {results, backend: resolved} = await runReplayDetailed({trace: join(fixtures, 'one-request.jsonl'), backend, requestsOut})
      const [row] = readRequests(requestsOut)
      const prefillCost = resolved.pools[0]!.cost
      const decodeCost = resolved.pools.at(-1)!.cost
      const prefillUs = prefillCost.prefillTime(2000).ms * 1000
      let transferUs = 0
      if (backend === 'trn3-cs3') {
        // Layer-wise overlap hides up to 80% of the bytes under the prefill (hardware.md §9.3).
        const bytes = 2000 * decodeCost.kvBytesPerToken
        const path = resolved.kvPath!
        const exposed = Math.max(0.2 * bytes, bytes - 0.8 * (prefillUs / 1e6) * path.egressBytesPerS)
        transferUs = kvTransferTime(exposed, 'trn3-server-to-cs3') * 1000
        expect(Math.abs(row!.kvTransferUs - transferUs)).toBeLessThanOrEqual(1)
      }
      expect(Math.abs(row!.firstTokenUs - row!.arrivalUs - (prefillUs + transferUs))).toBeLessThanOrEqual(1)
      let decodeUs = 0
      for (let j = 1; j < 64; j++) decodeUs += decodeCost.decodeStepTime(1, 2000 + j - 1).ms * 1000
      const tpotUs = (row!.completionUs - row!.firstTokenUs) / 63
      expect(Math.abs(tpotUs - decodeUs / 63)).toBeLessThan(0.1)
      expect(results.counters.completed).toBe(1)
    })
  }
})

describe.skipIf(!hasShared)('replays of the shared traces', () => {
  it('accounts for every request on every preset: completed + failed = requests', async () => {
    for (const backend of listPresetNames()) {
      const results = await runReplay({trace: azureCode, backend, limit: 1500})
      expect(results.counters.completed + results.counters.failed, backend).toBe(1500)
      expect(results.trace.requests).toBe(1500)
    }
  })

  it('fails Mooncake requests longer than the CS-3 KV cache with a reason, and still accounts for all', async () => {
    const results = await runReplay({trace: mooncakeConv, backend: 'cs3', limit: 2000})
    expect(results.counters.completed + results.counters.failed).toBe(2000)
    expect(results.counters.failed).toBeGreaterThan(0)
    expect(Object.keys(results.counters.failureReasons)).toEqual(['exceeds-kv-capacity'])
    // Prefix blocks shared across requests are served from the cache.
    expect(results.counters.cachedTokens).toBeGreaterThan(0)
  })

  it('p90 TTFT does not fall as the rate scale rises (within 5%)', async () => {
    for (const backend of ['cs3', 'trn3-cs3']) {
      const p90s: number[] = []
      for (const rateScale of [1, 2, 4, 8, 16, 32, 64, 128]) {
        const results = await runReplay({trace: azureConv, backend, limit: 4000, rateScale})
        p90s.push(results.metrics.ttft.p90!)
      }
      for (let i = 1; i < p90s.length; i++) expect(p90s[i]!, `${backend}: ${p90s.join(', ')}`).toBeGreaterThanOrEqual(p90s[i - 1]! * 0.95)
      // The range covers real queueing, not just noise.
      expect(p90s.at(-1)!).toBeGreaterThan(p90s[0]! * 2)
    }
  })
})

describe('determinism', () => {
  it('gives byte-identical results for the same trace and seed, and different ones for another seed', async () => {
    const options = {trace: 'synth:chat?requests=400&rate=20', backend: 'trn3-cs3', slos: ['ttft.p90<=2s'], argv: ['replay', 'test']}
    const a = serializeResults(await runReplay({...options, seed: 7}))
    const b = serializeResults(await runReplay({...options, seed: 7}))
    const c = serializeResults(await runReplay({...options, seed: 8}))
    expect(a).toBe(b)
    expect(c).not.toBe(a)
  })
})

describe('sessions through runReplay', () => {
  it('releases the second turn when the first has ended plus its think time', async () => {
    const requestsOut = join(tmp, 'session.jsonl')
    await runReplay({trace: join(fixtures, 'two-turn-session.jsonl'), backend: 'cs3', requestsOut})
    const rows = readRequests(requestsOut).sort((x, y) => x.turn! - y.turn!)
    expect(rows[1]!.arrivalUs).toBe(rows[0]!.completionUs + 500_000)
  })

  it('replays a synthesized agentic trace with prefix reuse', async () => {
    const results = await runReplay({trace: 'synth:agentic?requests=300', backend: 'trn3-cs3', seed: 2})
    expect(results.counters.completed + results.counters.failed).toBe(300)
    expect(results.trace.sessions).toBeGreaterThan(0)
    expect(results.counters.cachedTokens / results.counters.inputTokens).toBeGreaterThan(0.5)
  })
})

describe('bad input', () => {
  it('refuses a rate scale of 0 or below', async () => {
    for (const rateScale of [0, -1, Number.NaN]) {
      await expect(runReplay({trace: 'synth:chat?requests=10', backend: 'cs3', rateScale})).rejects.toThrow(/--rate-scale: expected a positive number/)
    }
  })

  it('names the file and field of an unknown backend field', async () => {
    const error = await runReplay({trace: 'synth:chat?requests=10', backend: join(fixtures, 'unknown-field.yaml')}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toMatch(/unknown-field\.yaml: pool\.scheduler\.maxBatch: unknown field \(valid fields in pool\.scheduler: policy, maxBatchSize/)
  })

  it('says when the model does not fit the backend memory, and how much is missing', async () => {
    await expect(runReplay({trace: 'synth:chat?requests=10', backend: join(fixtures, 'model-does-not-fit.yaml')})).rejects.toThrow(
      /pool pool: llama-3.3-70b at bf16 does not fit .* missing/,
    )
    await expect(runReplay({trace: 'synth:chat?requests=10', backend: 'gpu-h100', model: 'llama-3.1-405b'})).rejects.toThrow(/does not fit/)
  })

  it('rejects unknown kinds, zero replicas, unknown presets and unknown pools', async () => {
    await expect(runReplay({trace: 'synth:chat?requests=10', backend: join(fixtures, 'bad-kind.yaml')})).rejects.toThrow(/bad-kind\.yaml: kind: expected one of aggregated, disaggregated, got "hybrid"/)
    await expect(runReplay({trace: 'synth:chat?requests=10', backend: join(fixtures, 'zero-replicas.yaml')})).rejects.toThrow(/zero-replicas\.yaml: pool\.replicas: expected a positive integer, got 0/)
    await expect(runReplay({trace: 'synth:chat?requests=10', backend: 'gpu-h1000'})).rejects.toThrow(/unknown backend "gpu-h1000"; valid backend names: cs3, gpu-b200, gpu-b200-disagg, gpu-gb200-disagg, gpu-h100, rubin-lpx-whatif, trn3-cs3/)
    await expect(runReplay({trace: 'synth:chat?requests=10', backend: 'cs3', poolReplicas: {decode: 2}})).rejects.toThrow(/no pool "decode"; its pools: pool/)
  })

  it('rejects a bad synthetic spec and a bad limit', async () => {
    await expect(runReplay({trace: 'synth:poetry', backend: 'cs3'})).rejects.toThrow(TracebenchError)
    await expect(runReplay({trace: 'synth:chat?requests=10', backend: 'cs3', limit: 0})).rejects.toThrow(/--limit/)
  })
})

describe('pool overrides (footprint scaling for sweeps)', () => {
  it('scales pools and reports the new footprint', async () => {
    const base = await runReplayDetailed({trace: 'synth:chat?requests=20', backend: 'trn3-cs3'})
    const scaled = await runReplayDetailed({trace: 'synth:chat?requests=20', backend: 'trn3-cs3', poolScale: 2, poolReplicas: {decode: 3}})
    expect(scaled.backend.pools.map((p) => p.config.replicas)).toEqual([40, 3])
    expect(scaled.results.backend.footprint.chips).toBe(160 + 12)
    expect(scaled.results.backend.footprint.kW).toBeGreaterThan(base.results.backend.footprint.kW)
  })
})

describe('results trace, footprint and ITL fields', () => {
  it('durationS is the trace span before rate scaling; offeredRatePerS scales with --rate-scale', async () => {
    const one = await runReplay({trace: 'synth:chat?requests=200&rate=5', backend: 'cs3'})
    const four = await runReplay({trace: 'synth:chat?requests=200&rate=5', backend: 'cs3', rateScale: 4})
    expect(four.trace.durationS).toBe(one.trace.durationS)
    expect(one.trace.durationS).toBeGreaterThan(0)
    expect(one.trace.offeredRatePerS).toBeCloseTo(200 / one.trace.durationS, 9)
    expect(four.trace.offeredRatePerS).toBeCloseTo((4 * 200) / one.trace.durationS, 9)
    expect(four.trace.summary?.replayedRatePerS).toBe(four.trace.offeredRatePerS)
    // The replayed arrivals span a quarter of the trace's own span.
    expect(four.window.durationS).toBeLessThan(one.window.durationS)
  })

  it('passes the exact rack fraction through and records every inter-token gap', async () => {
    const {results, backend} = await runReplayDetailed({trace: 'synth:chat?requests=100', backend: 'trn3-cs3'})
    const f = results.backend.footprint
    expect(f.rackFraction).toBe(backend.footprint.rackFraction)
    expect(f.racks).toBeGreaterThanOrEqual(f.rackFraction as number)
    // Gaps come per replica through recordItlGaps: one per output token after the first.
    expect(results.metrics.itl.count).toBe(results.counters.outputTokens - results.counters.completed)
  })
})
