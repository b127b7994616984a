import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {calibrateHardware, createProfiledCostModel} from '../../src/cost/calibrate.js'
import {createCostModel} from '../../src/cost/cost-model.js'
import {createProfileInterpolator, readMeasuredProfile} from '../../src/cost/measured-profile.js'
import {ConfigError} from '../../src/common/errors.js'
import {h100DecodeAnchors, h100PrefillAnchors, h100ProfileWeightBytes} from './accuracy-anchors.js'

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/catalogs/${name}`, import.meta.url))

/** The H100 profile rebuilt from the anchor table, plus two sub-512 prefill rows that are out of scope. */
function writeProfile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracebench-calibrate-'))
  const file = join(dir, 'h100-llama-3.1-8b.json')
  writeFileSync(
    file,
    JSON.stringify({
      what: 'Llama-3.1-8B-shaped transformer',
      device: 'NVIDIA H100 80GB HBM3',
      weight_bytes: h100ProfileWeightBytes,
      prefill: [{tokens: 128, ms: 10.845}, {tokens: 256, ms: 11.008}, ...h100PrefillAnchors],
      decode: h100DecodeAnchors.map((row) => ({batch: row.batch, ctx: row.contextTokens, ms_graph: row.ms, ms_eager: row.ms * 1.5})),
    }),
  )
  return file
}

describe('calibrateHardware', () => {
  const profile = readMeasuredProfile(writeProfile())
  const report = calibrateHardware(profile)

  it('infers the hardware from the device string and the model from the file name', () => {
    expect(report.hardware).toBe('h100-sxm')
    expect(report.model).toBe('llama-3.1-8b')
    expect(report.decodeField).toBe('ms_graph')
  })

  it('reports per-point errors and MAPE within the accuracy targets for catalog and fitted constants', () => {
    expect(report.points).toHaveLength(17)
    expect(report.points.filter((point) => !point.inScope).map((point) => point.tokens)).toEqual([128, 256])
    for (const summary of [report.summary.catalog, report.summary.fitted]) {
      expect(summary.decodeMaxAbsErrorPct!).toBeLessThan(5)
      expect(summary.prefillMaxAbsErrorPct!).toBeLessThan(5)
      expect(summary.decodeMapePct!).toBeLessThan(5)
      expect(summary.prefillMapePct!).toBeLessThan(5)
    }
    const first = report.points[2]!
    expect(first.catalogErrorPct).toBeCloseTo(((first.catalogMs - first.measuredMs) / first.measuredMs) * 100, 10)
  })

  it('fits constants close to the catalog (the catalog holds the last fit), shape-aware on the H100', () => {
    expect(report.computeModel).toBe('shape-aware')
    for (const constant of report.constants) expect(Math.abs(constant.fitted / constant.catalog - 1), constant.field).toBeLessThan(0.05)
    expect(report.constants.map((constant) => constant.field)).toEqual([
      'memoryEfficiency',
      'layerOverheadUs',
      'overlapLoss',
      'attentionEfficiency',
      'activationTrafficFactor',
      'gemmEfficiency.bf16.small',
      'gemmEfficiency.bf16.large',
    ])
    expect(report.fittedHardware.memoryEfficiency.tag).toBe('fit')
    expect(report.fittedHardware.memoryEfficiency.source).toMatch(/tracebench calibrate --profile h100-llama-3\.1-8b\.json .*11 measured GEMMs/)
  })

  it('reports every measured GEMM by shape, within 5 % (fp8 reported, not fitted)', () => {
    expect(report.gemmPoints).toHaveLength(12)
    expect(report.gemmPoints.filter((point) => !point.inFit).map((point) => point.precision)).toEqual(['fp8'])
    for (const point of report.gemmPoints) expect(Math.abs(point.fittedErrorPct), `${point.m} x ${point.n} x ${point.k}`).toBeLessThan(5)
    // A decode-sized GEMM streams weights (a tiny share of peak); a large one is on the curve's large plateau.
    const byM = new Map(report.gemmPoints.filter((point) => point.n === 28672).map((point) => [point.m, point]))
    expect(byM.get(1)!.measuredFractionOfPeak).toBeLessThan(0.01)
    expect(byM.get(4096)!.fittedEfficiency).toBeCloseTo(report.fittedHardware.gemmEfficiency!.bf16!.large.value, 10)
    expect(report.summary.fitted.gemmMaxAbsErrorPct!).toBeLessThan(5)
  })

  it('checks the weights the profile streams against the model count', () => {
    expect(Math.abs(report.weightBytesCheck!.differencePct)).toBeLessThan(0.01)
  })

  it('recovers deliberately wrong constants', () => {
    // The H100 entry with its memory efficiency, attention efficiency and per-layer overhead knocked off.
    const catalog = loadCatalog()
    const {name: _name, file: _file, ...entry} = catalog.hardware('h100-sxm')
    const wrong = {...entry, memoryEfficiency: {value: 0.6, source: 'wrong'}, attentionEfficiency: {value: 0.3, source: 'wrong'}, layerOverheadUs: {value: 90, source: 'wrong'}}
    const file = join(mkdtempSync(join(tmpdir(), 'tracebench-calibrate-')), 'wrong.yaml')
    writeFileSync(file, stringify({hardware: {'h100-sxm': wrong}}))
    const refit = calibrateHardware(profile, {catalog: loadCatalog({extraFiles: [file]})})
    expect(refit.summary.catalog.decodeMapePct!).toBeGreaterThan(20)
    for (const summary of [refit.summary.fitted]) {
      expect(summary.decodeMaxAbsErrorPct!).toBeLessThan(5)
      expect(summary.prefillMaxAbsErrorPct!).toBeLessThan(5)
      expect(summary.gemmMaxAbsErrorPct!).toBeLessThan(5)
    }
    const fitted = new Map(refit.constants.map((constant) => [constant.field, constant.fitted]))
    expect(fitted.get('memoryEfficiency')!).toBeCloseTo(entry.memoryEfficiency.value, 2)
  })
})

describe('profiles as a table', () => {
  const profile = readMeasuredProfile(writeProfile())

  it('interpolates the raw table: exact at rows, between them elsewhere', () => {
    const table = createProfileInterpolator(profile)
    expect(table.prefillMs(4096)).toBeCloseTo(108.853, 10)
    const between = table.prefillMs(3000)
    expect(between).toBeGreaterThan(53.911)
    expect(between).toBeLessThan(108.853)
    expect(table.decodeMs(32, 4096)).toBeCloseTo(12.445, 10)
    const near = table.decodeMs(48, 2048)
    expect(near).toBeGreaterThan(8)
    expect(near).toBeLessThan(14.5)
  })

  it('corrects the analytic model to the measurements (exact at measured points)', () => {
    const base = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'})
    const profiled = createProfiledCostModel(base, profile)
    for (const row of profile.decode) expect(profiled.decodeStepTime(row.batch, row.batch * row.contextTokens).ms).toBeCloseTo(row.ms, 8)
    for (const row of profile.prefill) expect(profiled.prefillTime(row.tokens).ms).toBeCloseTo(row.ms, 8)
    // Beyond the table the measured/analytic ratio is held, so the physics still shapes the curve.
    const ratio = profiled.prefillTime(32_768).ms / base.prefillTime(32_768).ms
    expect(ratio).toBeCloseTo(518.389 / base.prefillTime(16_384).ms, 8)
    expect(profiled.iterationTime({prefillTokens: 0, decodeSequences: 1, decodeContextTokens: 1024}).ms).toBeCloseTo(6.704, 8)
  })

  it('has ms-only forms exactly equal to the .ms of its StepTime calls', () => {
    const profiled = createProfiledCostModel(createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b'}), profile)
    for (const tokens of [1, 512, 3000, 32_768]) {
      for (const cached of [0, 2048]) expect(profiled.prefillMs(tokens, cached)).toBe(profiled.prefillTime(tokens, {cachedPrefixTokens: cached}).ms)
    }
    for (const batch of [0, 1, 48, 512]) {
      for (const context of [0, 2048, 100_000]) expect(profiled.decodeStepMs(batch, batch * context)).toBe(profiled.decodeStepTime(batch, batch * context).ms)
    }
    const work = {prefillTokens: 700, prefillSequences: 3, prefillContextTokenProducts: 700 * 900, decodeSequences: 40, decodeContextTokens: 40 * 5000}
    expect(profiled.iterationMs(work)).toBe(profiled.iterationTime(work).ms)
  })

  it('refuses to correct a deployment the profile did not measure', () => {
    const tp2 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b', tp: 2})
    expect(() => createProfiledCostModel(tp2, profile)).toThrow(/single-chip profile/)
    const fp8 = createCostModel({hardware: 'h100-sxm', model: 'llama-3.1-8b', precision: 'fp8'})
    expect(() => createProfiledCostModel(fp8, profile)).toThrow(/measured at bf16, the deployment runs fp8/)
  })
})

describe('bad profiles', () => {
  const cases: Array<[string, RegExp]> = [
    ['profile-missing-graph.json', /profile-missing-graph\.json: decode\.0\.ms_graph: missing \(required\)$/],
    ['profile-wrong-type.json', /profile-wrong-type\.json: prefill\.0\.ms: expected a positive time in ms, got "fast"$/],
    ['profile-invalid-json.json', /profile-invalid-json\.json: invalid JSON: /],
  ]
  for (const [file, pattern] of cases) {
    it(file, () => {
      expect(() => readMeasuredProfile(fixture(file))).toThrow(ConfigError)
      expect(() => readMeasuredProfile(fixture(file))).toThrow(pattern)
    })
  }

  it('reads another decode column on request', () => {
    expect(readMeasuredProfile(fixture('profile-missing-graph.json'), 'ms_eager').decode[0]!.ms).toBe(14.9)
  })

  it('asks for --model when the profile does not name a catalog model', () => {
    const profile = readMeasuredProfile(fixture('profile-missing-graph.json'), 'ms_eager')
    expect(() => calibrateHardware(profile)).toThrow(/cannot tell which model the profile measures; pass --model/)
  })
})
