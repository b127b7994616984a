import {describe, expect, it} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {createCostModel} from '../../src/cost/cost-model.js'
import {computeDecodeFloorMs, resolveDecodeLayerLatencyUs} from '../../src/cost/wafer-floor.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'

function thrown(action: () => unknown): TracebenchError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(TracebenchError)
    return error as TracebenchError
  }
  throw new Error('expected a TracebenchError')
}

describe('deployment resolution', () => {
  it('fills in defaults: native precision, tp/pp 1, the fewest CS-3 systems', () => {
    expect(createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'}).deployment).toEqual({
      hardware: 'h100-sxm',
      model: 'llama-3.1-8b',
      precision: 'bf16',
      tp: 1,
      pp: 1,
      systems: 1,
    })
    expect(createCostModel({hardware: 'h200', model: 'deepseek-v3', tp: 8}).deployment.precision).toBe('fp8')
    const cs3 = createCostModel({hardware: 'cs3', model: 'llama-3.1-70b'})
    expect(cs3.deployment.model).toBe('llama-3.3-70b')
    expect(cs3.deployment.systems).toBe(4)
    expect(cs3.chipsPerReplica).toBe(4)
  })

  it('refuses weights plus a minimum KV cache that do not fit, saying what is missing and what fits', () => {
    const error = thrown(() => createCostModel({hardware: 'h100-sxm', model: 'llama-3.3-70b'}))
    expect(error.message).toMatch(/llama-3\.3-70b at bf16 does not fit on 1 h100-sxm chip: weights 141\.1 GB \+ minimum KV cache 1\.3 GB \(4096 tokens\) need 142\.4 GB, usable memory is 77\.0 GB; 65\.5 GB missing/)
    expect(error.suggestions).toEqual(['use more tensor parallelism: --tp 2', 'or a lower precision on the same chips: --precision fp8'])
    expect(error.code).toBe('DOES_NOT_FIT')
  })

  it('suggests pipeline stages past the scale-up domain, and systems for the CS-3', () => {
    expect(thrown(() => createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-405b', tp: 8})).suggestions[0]).toBe('span 11 chips: --tp 8 --pp 2')
    const cs3 = thrown(() => createCostModel({hardware: 'cs3', model: 'llama-3.3-70b', systems: 2}))
    expect(cs3.message).toMatch(/does not fit on 2 cs3 systems/)
    expect(cs3.suggestions[0]).toBe('use 4 systems (--systems 4)')
  })

  it('refuses tensor parallelism beyond the scale-up domain and on wafers', () => {
    expect(thrown(() => createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b', tp: 16})).message).toMatch(/tp 16 exceeds the 8-chip scale-up domain of h100-sxm/)
    expect(thrown(() => createCostModel({hardware: 'cs3', model: 'llama-3.1-8b', tp: 2})).message).toMatch(/layer pipeline across systems/)
    expect(thrown(() => createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b', tp: 0})).message).toMatch(/tp must be a positive integer/)
  })

  it('counts KV capacity from usable memory minus weights', () => {
    const cs3 = createCostModel({hardware: 'cs3', model: 'llama-3.3-70b'})
    const usable = 4 * 44e9 * 0.909
    expect(cs3.kvCapacityTokens).toBe(Math.floor((usable - cs3.weightBytesPerReplica) / 327_680))
    expect(cs3.kvCapacityTokens).toBeGreaterThan(50_000)
    expect(cs3.kvCapacityTokens).toBeLessThan(110_000)
  })

  it('keeps embeddings at bf16 and quantizes block weights (gpt-oss MXFP4: about 64 GB)', () => {
    const gptOss = createCostModel({hardware: 'h200', model: 'gpt-oss-120b'})
    expect(gptOss.deployment.precision).toBe('fp4')
    expect(gptOss.weightBytesPerReplica / 1e9).toBeGreaterThan(61)
    expect(gptOss.weightBytesPerReplica / 1e9).toBeLessThan(66)
    // No FP4 matrix rate on Hopper: weight-only quantization computes at bf16.
    expect(gptOss.computePrecision).toBe('bf16')
    expect(createCostModel({hardware: 'b200', model: 'gpt-oss-120b'}).computePrecision).toBe('fp4')
  })
})

describe('roofline terms and the bound', () => {
  const h100 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'})

  it('is memory-bound at small decode batches and compute-bound for long prefills', () => {
    const decode = h100.decodeStepTime(1, 1024)
    expect(decode.bound).toBe('memory')
    expect(decode.ms).toBeCloseTo(Math.max(decode.computeMs, decode.memoryMs, decode.latencyMs) + decode.commMs + decode.overheadMs, 10)
    const prefill = h100.prefillTime(8192)
    expect(prefill.bound).toBe('compute')
    expect(prefill.computeMs).toBeGreaterThan(prefill.memoryMs)
  })

  it('is latency-bound on the CS-3 at batch 1, with the floor = layers x per-layer latency', () => {
    const cs3 = createCostModel({hardware: 'cs3', model: 'llama-3.3-70b'})
    const step = cs3.decodeStepTime(1, 2000)
    expect(step.bound).toBe('latency')
    expect(step.latencyMs).toBeCloseTo((80 * 5.68) / 1000, 10)
    expect(cs3.decodeFloorMs).toBeCloseTo(0.4544, 10)
    // Compute catches up with the floor only at large batches.
    expect(cs3.decodeStepTime(512, 512 * 2000).bound).toBe('compute')
  })

  it('falls back to the hardware per-layer latency where a model has no published CS-3 speed', () => {
    const catalog = loadCatalog()
    const cs3 = catalog.hardware('cs3')
    expect(resolveDecodeLayerLatencyUs(catalog.model('qwen3-14b'), cs3, 1)!.value).toBe(14.2)
    // The median of the calibrated multi-system models (test/cost/wafer-uncertainty.test.ts).
    expect(resolveDecodeLayerLatencyUs(catalog.model('deepseek-v3'), cs3, 17)!.value).toBe(8.19)
    expect(computeDecodeFloorMs(catalog.model('deepseek-v3'), cs3, 17)).toBeCloseTo((61 * 8.19) / 1000, 10)
    expect(computeDecodeFloorMs(catalog.model('llama-3.1-8b'), catalog.hardware('h100-sxm'), 1)).toBe(0)
  })

  it('grows decode time with context (KV reads) and batch', () => {
    expect(h100.decodeStepTime(1, 8192).ms).toBeGreaterThan(h100.decodeStepTime(1, 1024).ms)
    expect(h100.decodeStepTime(64, 64 * 1024).ms).toBeGreaterThan(h100.decodeStepTime(8, 8 * 1024).ms)
  })

  it('charges cached prefix tokens only for attention and KV reads, not for linear layers', () => {
    const fresh = h100.prefillTime(1024)
    const afterPrefix = h100.prefillTime(1024, {cachedPrefixTokens: 8192})
    const full = h100.prefillTime(9216)
    expect(afterPrefix.ms).toBeGreaterThan(fresh.ms)
    expect(afterPrefix.ms).toBeLessThan(full.ms / 4)
  })

  it('adds tensor-parallel communication and splits compute and memory across the TP group', () => {
    const tp1 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'}).prefillTime(4096)
    const tp4 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b', tp: 4}).prefillTime(4096)
    expect(tp1.commMs).toBe(0)
    expect(tp4.commMs).toBeGreaterThan(0)
    expect(tp4.computeMs).toBeCloseTo(tp1.computeMs / 4, 8)
    expect(tp4.ms).toBeLessThan(tp1.ms)
  })
})

describe('attention variants and mixture of experts', () => {
  it('reads only the experts a decode batch touches (DeepSeek-V3: 8 of 256 at batch 1)', () => {
    const model = createCostModel({hardware: 'h200', model: 'deepseek-v3', tp: 8})
    const one = model.decodeStepTime(1, 1).bytes!
    const many = model.decodeStepTime(256, 256).bytes!
    expect(one / 1e9).toBeLessThan(60)
    expect(many / 1e9).toBeGreaterThan(600)
    expect(many).toBeLessThan(model.weightBytesPerReplica + 256 * model.kvBytesPerToken)
  })

  it('reads sliding-window layers only over their window at long context (gpt-oss)', () => {
    const model = createCostModel({hardware: 'h200', model: 'gpt-oss-120b'})
    const perTokenKvRead = (model.decodeStepTime(1, 101_000).bytes! - model.decodeStepTime(1, 1000).bytes!) / 100_000
    // 18 full layers x 2,048 B per token (8 KV heads x 64 x K,V x 2 B); the 18 sliding layers stay at 128 tokens.
    expect(perTokenKvRead).toBeCloseTo(18 * 2048, 6)
  })
})

describe('iterationTime', () => {
  const model = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'})

  it('equals decodeStepTime and prefillTime for pure decode and pure prefill work', () => {
    expect(model.iterationTime({prefillTokens: 0, decodeSequences: 32, decodeContextTokens: 32 * 2048})).toEqual(model.decodeStepTime(32, 32 * 2048))
    expect(model.iterationTime({prefillTokens: 2048, prefillSequences: 1, decodeSequences: 0, decodeContextTokens: 0})).toEqual(model.prefillTime(2048))
  })

  it('costs a mixed iteration more than either part and less than both run apart', () => {
    const mixed = model.iterationTime({prefillTokens: 512, prefillSequences: 1, decodeSequences: 32, decodeContextTokens: 32 * 2048}).ms
    const prefill = model.prefillTime(512).ms
    const decode = model.decodeStepTime(32, 32 * 2048).ms
    expect(mixed).toBeGreaterThan(Math.max(prefill, decode))
    expect(mixed).toBeLessThan(prefill + decode)
  })

  it('returns zero for an empty iteration', () => {
    expect(model.iterationTime({prefillTokens: 0, decodeSequences: 0, decodeContextTokens: 0}).ms).toBe(0)
    expect(model.iterationMs({prefillTokens: 0, decodeSequences: 0, decodeContextTokens: 0})).toBe(0)
  })

  it('has ms-only forms exactly equal to the .ms of the StepTime calls, in every bound', () => {
    const models = [
      model,
      createCostModel({hardware: 'cs3', model: 'llama-3.1-70b'}),
      createCostModel({hardware: 'h200', model: 'deepseek-v3', tp: 8}),
      createCostModel({hardware: 'h100-sxm', model: 'gpt-oss-120b', tp: 2}),
    ]
    for (const m of models) {
      for (const tokens of [1, 7, 512, 3000, 32_768]) {
        for (const cached of [0, 1, 2048, 100_000]) expect(m.prefillMs(tokens, cached)).toBe(m.prefillTime(tokens, {cachedPrefixTokens: cached}).ms)
      }
      for (const batch of [0, 1, 3, 64, 512]) {
        for (const context of [0, 1, 1500, 250_000]) expect(m.decodeStepMs(batch, batch * context)).toBe(m.decodeStepTime(batch, batch * context).ms)
      }
      const work = {prefillTokens: 700, prefillSequences: 3, prefillContextTokenProducts: 700 * 900, decodeSequences: 40, decodeContextTokens: 40 * 5000}
      expect(m.iterationMs(work)).toBe(m.iterationTime(work).ms)
    }
  })
})
