import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {createCostModel} from '../../src/cost/cost-model.js'
import {h100DecodeAnchors, h100PrefillAnchors, h100ProfileWeightBytes, publishedSpeedAnchors, sanityAnchors} from './accuracy-anchors.js'

const h100 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'})
const errorPct = (predicted: number, measured: number) => ((predicted - measured) / measured) * 100

describe('H100 calibration (analytic model, catalog constants)', () => {
  it.each(h100DecodeAnchors)('decode batch $batch x $contextTokens within 15 %', ({batch, contextTokens, ms}) => {
    const predicted = h100.decodeStepTime(batch, batch * contextTokens).ms
    expect(Math.abs(errorPct(predicted, ms))).toBeLessThan(15)
  })

  it.each(h100PrefillAnchors)('prefill $tokens tokens within 20 %', ({tokens, ms}) => {
    const predicted = h100.prefillTime(tokens).ms
    expect(Math.abs(errorPct(predicted, ms))).toBeLessThan(20)
  })

  it('streams the profiled weight bytes (all weights but the input embedding)', () => {
    const streamed = h100.weightBytesPerReplica - h100.shape.embeddingParams * 2
    expect(Math.abs(errorPct(streamed, h100ProfileWeightBytes))).toBeLessThan(0.01)
  })

  it('uses one set of H100 constants for every model (no per-model GPU constants)', () => {
    const other = createCostModel({hardware: 'h100-sxm', model: 'qwen3-14b'})
    // Same per-layer overhead and efficiencies: qwen3-14b's overhead scales with its 40 layers.
    expect(other.decodeStepTime(1, 1).overheadMs / other.layers).toBeCloseTo(h100.decodeStepTime(1, 1).overheadMs / h100.layers, 2)
  })
})

describe('published per-user decode speeds at batch 1 (within 15 %)', () => {
  it.each(publishedSpeedAnchors)('$hardware $model: $lowTokPerS-$highTokPerS tok/s ($source)', (anchor) => {
    const model = createCostModel({hardware: anchor.hardware, model: anchor.model, precision: anchor.precision})
    const tokPerS = 1000 / model.decodeStepTime(1, 1000).ms
    expect(tokPerS).toBeGreaterThanOrEqual(anchor.lowTokPerS * 0.85)
    expect(tokPerS).toBeLessThanOrEqual(anchor.highTokPerS * 1.15)
  })

  it.each(sanityAnchors)('sanity: $hardware $model in $lowTokPerS-$highTokPerS tok/s ($source)', (anchor) => {
    const model = createCostModel({hardware: anchor.hardware, model: anchor.model, precision: anchor.precision})
    const tokPerS = 1000 / model.decodeStepTime(1, 1000).ms
    expect(tokPerS).toBeGreaterThanOrEqual(anchor.lowTokPerS)
    expect(tokPerS).toBeLessThanOrEqual(anchor.highTokPerS)
  })
})

const sharedProfile = fileURLToPath(new URL('../../../shared/calibration/h100-llama-3.1-8b.json', import.meta.url))

describe.skipIf(!existsSync(sharedProfile))('anchor table matches the shared calibration file', () => {
  it('has the same decode (ms_graph) and prefill rows', () => {
    const profile = JSON.parse(readFileSync(sharedProfile, 'utf8')) as {
      weight_bytes: number
      prefill: Array<{tokens: number; ms: number}>
      decode: Array<{batch: number; ctx: number; ms_graph: number}>
    }
    expect(profile.decode.map((row) => ({batch: row.batch, contextTokens: row.ctx, ms: row.ms_graph}))).toEqual(h100DecodeAnchors)
    expect(profile.prefill.filter((row) => row.tokens >= 512)).toEqual(h100PrefillAnchors)
    expect(profile.weight_bytes).toBe(h100ProfileWeightBytes)
  })
})
if (!existsSync(sharedProfile)) console.warn(`skipping the shared-profile cross-check: ${sharedProfile} not found`)
