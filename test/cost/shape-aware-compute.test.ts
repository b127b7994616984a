import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {createCostModel} from '../../src/cost/cost-model.js'
import {describeModelShape} from '../../src/cost/model-shape.js'
import {gemmEfficiency} from '../../src/cost/shape-aware-compute.js'
import {withHardwareOverrides} from '../../src/backends/resolve-backend.js'

describe('GEMM efficiency by shape', () => {
  const curve = {small: 0.8, large: 0.7, startFlops: 1e12, endFlops: 4e12}

  it('is flat below the transition, linear in log FLOPs across it, flat above', () => {
    expect(gemmEfficiency(curve, 1e9)).toBe(0.8)
    expect(gemmEfficiency(curve, 1e12)).toBe(0.8)
    expect(gemmEfficiency(curve, 2e12)).toBeCloseTo(0.75, 12) // halfway in log between 1e12 and 4e12
    expect(gemmEfficiency(curve, 4e12)).toBe(0.7)
    expect(gemmEfficiency(curve, 1e15)).toBe(0.7)
  })

  it('lists matrices whose FLOPs add up to the block FLOPs of every catalog model', () => {
    for (const model of loadCatalog().listModels()) {
      const shape = describeModelShape(model)
      const flops = shape.gemms.reduce((sum, gemm) => sum + 2 * gemm.params * gemm.tokenShare * gemm.matrices, 0)
      expect(flops / shape.blockFlopsPerToken, model.name).toBeCloseTo(1, 9)
    }
  })
})

describe('shape-aware compute on the H100', () => {
  // An H100 with memory for any model, so that a 70B-wide model runs on one GPU like the profiled 8B one.
  const file = join(mkdtempSync(join(tmpdir(), 'tracebench-shape-')), 'big-h100.yaml')
  const {name: _name, file: _file, ...h100} = loadCatalog().hardware('h100-sxm')
  writeFileSync(file, stringify({hardware: {'h100-sxm': {...h100, memoryBytes: {value: 1e12, source: 'test: room for any model'}}}}))
  const catalog = loadCatalog({extraFiles: [file]})
  const fractionOfPeak = (model: string, tokens: number) => {
    const step = createCostModel({hardware: 'h100-sxm', model}, catalog).prefillTime(tokens)
    return step.flops! / (step.ms / 1000) / 989e12
  }
  /** The same prefill with one end-to-end efficiency for every FLOP (the model before shape awareness). */
  const flatMs = (model: string, tokens: number) => {
    const flat = {...h100, memoryBytes: {value: 1e12, source: 'test'}, memoryEfficiency: {value: 0.844, source: 'test'}, overlapLoss: {value: 0.16, source: 'test'}, layerOverheadUs: {value: 41.5, source: 'test'}}
    delete (flat as Partial<typeof flat>).gemmEfficiency
    const flatFile = join(mkdtempSync(join(tmpdir(), 'tracebench-flat-')), 'flat-h100.yaml')
    writeFileSync(flatFile, stringify({hardware: {'h100-sxm': flat}}))
    return createCostModel({hardware: 'h100-sxm', model}, loadCatalog({extraFiles: [flatFile]})).prefillTime(tokens).ms
  }

  it('gives wider models a larger end-to-end fraction of peak (activation traffic is a smaller share)', () => {
    for (const tokens of [1024, 4096]) expect(fractionOfPeak('llama-3.3-70b', tokens)).toBeGreaterThan(fractionOfPeak('llama-3.1-8b', tokens) + 0.03)
  })

  it('predicts 8192-wide prefill 5-15 % faster than one efficiency fitted on the 4096-wide profile, and the profiled shape within 5 %', () => {
    for (const tokens of [1024, 4096, 8192]) {
      const shaped = createCostModel({hardware: 'h100-sxm', model: 'llama-3.3-70b'}, catalog).prefillTime(tokens).ms
      const change = shaped / flatMs('llama-3.3-70b', tokens) - 1
      expect(change, `${tokens} tokens`).toBeLessThan(-0.05)
      expect(change, `${tokens} tokens`).toBeGreaterThan(-0.15)
      const profiled = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'}, catalog).prefillTime(tokens).ms
      expect(Math.abs(profiled / flatMs('llama-3.1-8b', tokens) - 1), `8B at ${tokens}`).toBeLessThan(0.05)
    }
  })

  it('runs attention at the bf16 rate and counts activation traffic as overhead', () => {
    const fp8 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.3-70b', precision: 'fp8', tp: 4})
    const bf16 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.3-70b', precision: 'bf16', tp: 4})
    // A cached prefix adds attention FLOPs only: they take the bf16 rate at the attention efficiency, whatever the weights' precision.
    for (const model of [fp8, bf16]) {
      const plain = model.prefillTime(1000)
      const cached = model.prefillTime(1000, {cachedPrefixTokens: 8000})
      expect(cached.computeMs - plain.computeMs).toBeCloseTo(((cached.flops! - plain.flops!) / (4 * 989e12 * 0.634)) * 1000, 9)
    }
    const one = fp8.prefillTime(1000)
    const two = fp8.prefillTime(2000)
    expect(two.overheadMs - one.overheadMs).toBeGreaterThan(0)
  })

  it('leaves hardware without a GEMM curve on one efficiency for every FLOP', () => {
    const b200 = createCostModel({hardware: 'b200', model: 'llama-3.3-70b', precision: 'fp8', tp: 2})
    const step = b200.prefillTime(4096)
    expect(step.computeMs).toBeCloseTo(step.flops! / (2 * 4500e12 * 0.45) * 1000, 9)
  })
})

describe('a pool override of computeEfficiency on shape-aware hardware', () => {
  it('scales the GEMM curve and the attention efficiency by override / catalog', () => {
    const catalog = loadCatalog()
    const h100 = catalog.hardware('h100-sxm')
    const source = 'fitted: test'
    const scaled = withHardwareOverrides(catalog, 'h100-sxm', {computeEfficiency: {bf16: {value: h100.computeEfficiency.bf16!.value * 1.1, source}}}).hardware('h100-sxm')
    expect(scaled.gemmEfficiency!.bf16!.small.value).toBeCloseTo(h100.gemmEfficiency!.bf16!.small.value * 1.1, 12)
    expect(scaled.gemmEfficiency!.bf16!.large.value).toBeCloseTo(h100.gemmEfficiency!.bf16!.large.value * 1.1, 12)
    expect(scaled.attentionEfficiency!.value).toBeCloseTo(h100.attentionEfficiency!.value * 1.1, 12)
    expect(scaled.gemmEfficiency!.fp8).toEqual(h100.gemmEfficiency!.fp8)
    // So the compute of a prefill runs 1.1x faster.
    const prefill = (c: typeof catalog) => createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'}, c).prefillTime(4096).computeMs
    expect(prefill(catalog) / prefill(withHardwareOverrides(catalog, 'h100-sxm', {computeEfficiency: {bf16: {value: h100.computeEfficiency.bf16!.value * 1.1, source}}}))).toBeCloseTo(1.1, 9)
  })
})
