import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {predictGemmUs} from '../../src/cost/calibrate.js'
import {createCostModel} from '../../src/cost/cost-model.js'
import {h100DecodeAnchors, h100PrefillAnchors, h100ProfileWeightBytes, publishedSpeedAnchors, sanityAnchors} from './accuracy-anchors.js'

const h100 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'})
const errorPct = (predicted: number, measured: number) => ((predicted - measured) / measured) * 100

describe('H100 calibration (analytic model, catalog constants)', () => {
  // The property of issue 14: every profiled H100 step, decode and prefill from 512 tokens, within 5 %.
  it.each(h100DecodeAnchors)('decode batch $batch x $contextTokens within 5 %', ({batch, contextTokens, ms}) => {
    const predicted = h100.decodeStepTime(batch, batch * contextTokens).ms
    expect(Math.abs(errorPct(predicted, ms))).toBeLessThan(5)
  })

  it.each(h100PrefillAnchors)('prefill $tokens tokens within 5 %', ({tokens, ms}) => {
    const predicted = h100.prefillTime(tokens).ms
    expect(Math.abs(errorPct(predicted, ms))).toBeLessThan(5)
  })

  it.each(loadCatalog().hardware('h100-sxm').gemmMeasurements!.points)('measured GEMM $precision $m x $n x $k within 5 %', (point) => {
    const measuredUs = point.us ?? ((2 * point.m * point.n * point.k) / (point.tflops! * 1e12)) * 1e6
    expect(Math.abs(errorPct(predictGemmUs(loadCatalog().hardware('h100-sxm'), point), measuredUs))).toBeLessThan(5)
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
const sharedReference = fileURLToPath(new URL('../../../shared/reference/hardware.md', import.meta.url))

describe.skipIf(!existsSync(sharedReference))('measured GEMMs match the hardware reference appendix', () => {
  it('holds the appendix microbenchmark figures', () => {
    const appendix = readFileSync(sharedReference, 'utf8').split('## Appendix: H100 microbenchmark')[1]!
    expect(appendix).toContain('BF16 GEMM n=4096 / 8192 / 16384 | 771 / 785 / 720 TFLOPS')
    expect(appendix).toContain('`torch._scaled_mm` n=8192 (bf16 out) | 1,291 TFLOPS')
    expect(appendix).toContain('bs = 1 / 8 / 32 / 128 / 256 / 512 / 1024 / 4096 | 163.8 / 164.2 / 165.6 / 170.2 / 191.4 / 314.9 / 628.0 / 2,724.5 µs')
    const points = loadCatalog().hardware('h100-sxm').gemmMeasurements!.points
    expect(points.filter((p) => p.n === 28672).map((p) => [p.m, p.us])).toEqual([
      [1, 163.8],
      [8, 164.2],
      [32, 165.6],
      [128, 170.2],
      [256, 191.4],
      [512, 314.9],
      [1024, 628.0],
      [4096, 2724.5],
    ])
    expect(points.filter((p) => p.m === p.n && p.n === p.k).map((p) => [p.m, p.precision, p.tflops])).toEqual([
      [4096, 'bf16', 771],
      [8192, 'bf16', 785],
      [16384, 'bf16', 720],
      [8192, 'fp8', 1291],
    ])
  })
})

if (!existsSync(sharedProfile)) console.warn(`skipping the shared-profile cross-check: ${sharedProfile} not found`)
