import {describe, expect, it} from 'vitest'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {countDecodeKeys, countPrefillPairs, countTouchedExperts, describeModelShape} from '../../src/cost/model-shape.js'

const catalog = loadCatalog()
const shapeOf = (name: string) => describeModelShape(catalog.model(name))

describe('parameter counts from the architecture', () => {
  it.each(catalog.listModels().map((model) => [model.name]))('%s matches its published total (3 %) and active (6 %) parameters', (name) => {
    const model = catalog.model(name)
    const shape = describeModelShape(model)
    expect(Math.abs(shape.totalParams / model.publishedParams!.total.value - 1)).toBeLessThan(0.03)
    // gpt-oss publishes active parameters without the input embedding (5.1 B; 5.7 B with it).
    const active = name === 'gpt-oss-120b' ? shape.activeParams - shape.embeddingParams : shape.activeParams
    // GLM-4.6 publishes 32 B active; its config gives 33.6 B (hardware.md §7 finds the same).
    expect(Math.abs(active / model.publishedParams!.active.value - 1)).toBeLessThan(0.06)
  })
})

describe('KV-cache bytes per token (bf16, full-attention accounting; hardware.md §7)', () => {
  const expected: Record<string, number> = {
    'llama-3.1-8b': 131_072,
    'llama-3.3-70b': 327_680,
    'llama-3.1-405b': 516_096,
    'llama-4-scout': 196_608,
    'llama-4-maverick': 196_608,
    'gpt-oss-120b': 73_728,
    'qwen3-32b': 262_144,
    'qwen3-235b-a22b': 192_512,
    'deepseek-v3': 70_272,
    'glm-4.6': 376_832,
    'qwen3-14b': 163_840,
  }
  it.each(Object.entries(expected))('%s: %d B/token', (name, bytes) => {
    expect(shapeOf(name).kvBytesPerToken).toBe(bytes)
  })
})

describe('linear FLOPs per token (hardware.md §9.5: 2 x (active params - embedding))', () => {
  const expectedGflop: Record<string, number> = {
    'llama-3.1-8b': 15.0,
    'llama-3.3-70b': 139,
    'llama-3.1-405b': 807,
    'llama-4-scout': 32.4,
    'gpt-oss-120b': 10.3,
    'qwen3-32b': 63.9,
    'qwen3-235b-a22b': 43.2,
    'deepseek-v3': 72.9,
    'glm-4.6': 65.6,
  }
  it.each(Object.entries(expectedGflop))('%s: %d GFLOP', (name, gflop) => {
    const shape = shapeOf(name)
    expect(Math.abs((shape.blockFlopsPerToken + shape.lmHeadFlopsPerToken) / 1e9 / gflop - 1)).toBeLessThan(0.015)
  })
})

describe('attention accounting', () => {
  it('counts causal prefill pairs as T(T+1)/2 for full attention (2 L T^2 nq hd FLOPs)', () => {
    const shape = shapeOf('llama-3.1-8b')
    const full = shape.attentionGroups[0]!
    expect(countPrefillPairs(full, 1000, 0)).toBe(500_500)
    expect(countPrefillPairs(full, 100, 900)).toBe(95_050)
    expect(shape.attentionFlopsPerPairPrefill).toBe(4 * 32 * 128)
  })

  it('clips sliding-window layers to the window (gpt-oss: 18 layers x 128 tokens)', () => {
    const sliding = shapeOf('gpt-oss-120b').attentionGroups.find((group) => group.kind === 'sliding')!
    expect(sliding).toEqual({layers: 18, kind: 'sliding', spanTokens: 128})
    expect(countDecodeKeys(sliding, 50)).toBe(50)
    expect(countDecodeKeys(sliding, 100_000)).toBe(128)
    expect(countPrefillPairs(sliding, 1000, 0)).toBe((129 * 128) / 2 + (1000 - 128) * 128)
    expect(countPrefillPairs(sliding, 10, 1000)).toBe(1280)
  })

  it('keeps chunked-attention layers inside their chunk (Llama 4: 36 of 48 layers, 8,192 tokens)', () => {
    const chunked = shapeOf('llama-4-scout').attentionGroups.find((group) => group.kind === 'chunked')!
    expect(chunked.layers).toBe(36)
    expect(countDecodeKeys(chunked, 4000)).toBe(4000)
    expect(countDecodeKeys(chunked, 100_000)).toBe(4096)
  })

  it('uses the MLA latent: decode attends over 576-wide latents (absorbed), prefill over expanded heads', () => {
    const shape = shapeOf('deepseek-v3')
    expect(shape.kvBytesPerTokenPerLayer).toBe((512 + 64) * 2)
    expect(shape.attentionFlopsPerPairDecode).toBe(2 * 128 * 576 + 2 * 128 * 512)
    expect(shape.attentionFlopsPerPairPrefill).toBe(2 * 128 * 192 + 2 * 128 * 128)
  })
})

describe('experts touched by a batch', () => {
  it('reads the active experts for one token and tends to all experts for a large batch', () => {
    expect(countTouchedExperts(256, 8, 1)).toBeCloseTo(8, 10)
    expect(countTouchedExperts(256, 8, 16)).toBeGreaterThan(100)
    expect(countTouchedExperts(256, 8, 16)).toBeLessThan(128)
    expect(countTouchedExperts(256, 8, 4096)).toBeCloseTo(256, 6)
    expect(countTouchedExperts(0, 0, 10)).toBe(0)
  })
})
