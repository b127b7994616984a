import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {createCostModel} from '../../src/cost/cost-model.js'
import {predictStep} from '../../src/cost/predict-step.js'
import {describeDecodeSpeedUncertainty, leaveOneOutDecodeSpeed, listCalibratedWaferModels, median, predictLayerLatencyUs} from '../../src/cost/wafer-uncertainty.js'
import {runReplay} from '../../src/replay/run-replay.js'

const catalog = loadCatalog()
const cs3 = catalog.hardware('cs3')
const pct = (x: number) => Math.round(x * 1000) / 10

describe('CS-3 decode speed: leave-one-out over the published models', () => {
  const loo = leaveOneOutDecodeSpeed(catalog, cs3)

  it('predicts each published model from the others (the table in docs/cost-model.md)', () => {
    expect(loo.rows.map((row) => [row.model, row.systems, Math.round(row.publishedTokensPerS), Math.round(row.predictedTokensPerS), pct(row.error)])).toEqual([
      ['glm-4.6', 18, 1000, 1400, 40],
      ['gpt-oss-120b', 2, 2299, 3577, 55.6],
      ['llama-3.1-405b', 21, 969, 1018, 5],
      ['llama-3.1-8b', 1, 2201, 3816, 73.4],
      ['llama-3.3-70b', 4, 2201, 1520, -30.9],
      ['llama-4-maverick', 21, 2522, 2683, 6.4],
      ['qwen3-235b-a22b', 12, 1449, 1293, -10.8],
      ['qwen3-32b', 2, 2350, 1900, -19.1],
    ])
    expect([pct(loo.minError), pct(loo.maxError)]).toEqual([-30.9, 73.4])
  })

  it('does at least as well on mean error as the other models tried, and says which does better on the worst case', () => {
    const models = listCalibratedWaferModels(catalog, cs3)
    const tokenUs = (m: (typeof models)[number]) => m.layers * m.layerLatencyUs
    const activeB = (name: string) => createCostModel({hardware: 'cs3', model: name}, catalog).shape.activeParams / 1e9
    // Each candidate predicts one model's µs per token from the others.
    const candidates: Record<string, (others: typeof models, one: (typeof models)[number]) => number> = {
      'one median per-layer latency': (others, one) => one.layers * median(others.map((m) => m.layerLatencyUs)),
      'a + b x layers (least squares on relative error)': (others, one) => {
        const [a, b] = weightedLine(others.map((m) => [m.layers, tokenUs(m)]))
        return a + b * one.layers
      },
      'k / active^p (power law, as SemiAnalysis)': (others, one) => {
        const [c, p] = weightedLine(others.map((m) => [Math.log(activeB(m.model)), Math.log(1e6 / tokenUs(m))]), false)
        return 1e6 / Math.exp(c + p * Math.log(activeB(one.model)))
      },
    }
    const summary = (predict: (others: typeof models, one: (typeof models)[number]) => number) => {
      const errors = models.map((one) => tokenUs(one) / predict(models.filter((m) => m !== one), one) - 1)
      return {mae: pct(errors.reduce((s, e) => s + Math.abs(e), 0) / errors.length), min: pct(Math.min(...errors)), max: pct(Math.max(...errors))}
    }
    const chosen = {mae: pct(loo.rows.reduce((s, r) => s + Math.abs(r.error), 0) / loo.rows.length), min: pct(loo.minError), max: pct(loo.maxError)}
    const others = Object.fromEntries(Object.entries(candidates).map(([name, predict]) => [name, summary(predict)]))
    expect(chosen).toEqual({mae: 30.1, min: -30.9, max: 73.4})
    expect(others).toEqual({
      'one median per-layer latency': {mae: 27.1, min: -31.2, max: 73.4},
      'a + b x layers (least squares on relative error)': {mae: 30.9, min: -28.6, max: 67.1},
      'k / active^p (power law, as SemiAnalysis)': {mae: 32.9, min: -37.6, max: 85.8},
    })
  })

  it('keeps the hardware defaults equal to the documented model over every published model', () => {
    const models = listCalibratedWaferModels(catalog, cs3)
    expect(cs3.decodeLayerLatencyUs!.value).toBeCloseTo(predictLayerLatencyUs(models, 4), 9)
    expect(cs3.singleSystemDecodeLayerLatencyUs!.value).toBeCloseTo(predictLayerLatencyUs(models, 1), 9)
  })
})

describe('the range of an uncalibrated model', () => {
  it('is exactly 1 for a calibrated model, and 1 / (1 + the largest and smallest leave-one-out error) otherwise', () => {
    expect(describeDecodeSpeedUncertainty(catalog, cs3, catalog.model('llama-3.3-70b'))).toMatchObject({calibrated: true, relativeRange: [1, 1]})
    const scout = describeDecodeSpeedUncertainty(catalog, cs3, catalog.model('llama-4-scout'))!
    expect(scout.calibrated).toBe(false)
    expect(scout.relativeRange[0]).toBeCloseTo(1 / 1.7338, 3)
    expect(scout.relativeRange[1]).toBeCloseTo(1 / (1 - 0.3094), 3)
    expect(describeDecodeSpeedUncertainty(catalog, catalog.hardware('h100-sxm'), catalog.model('llama-4-scout'))).toBeNull()
  })

  it('is in predict --json as tokensPerSPerUserRange for an uncalibrated model only', () => {
    const scout = predictStep({hardware: 'cs3', model: 'llama-4-scout', phase: 'decode', contextTokens: 1000})
    const [low, high] = scout.tokensPerSPerUserRange!
    // The floor binds at batch 1, so the speed scales with the range (but for the small communication term).
    expect(low / (scout.tokensPerSPerUser! / 1.7338)).toBeCloseTo(1, 2)
    expect(high / (scout.tokensPerSPerUser! / 0.6906)).toBeCloseTo(1, 2)
    expect(scout.decodeSpeed).toMatchObject({calibrated: false})
    const llama = predictStep({hardware: 'cs3', model: 'llama-3.3-70b', phase: 'decode', contextTokens: 1000})
    expect(llama.tokensPerSPerUserRange).toBeUndefined()
    expect(llama.decodeSpeed).toMatchObject({calibrated: true})
    const cli = JSON.parse(execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'run.js'), 'predict', '--hardware', 'cs3', '--model', 'deepseek-v3', '--phase', 'decode', '--context', '1000', '--json'], {encoding: 'utf8'}))
    expect(cli.tokensPerSPerUserRange).toHaveLength(2)
  })

  it('is recorded by a replay, per wafer pool', async () => {
    const results = await runReplay({trace: 'synth:chat?requests=20', backend: 'cs3', model: 'llama-4-scout'})
    const pool = (results.backend.config as {resolved: Record<string, {decodeSpeed?: {calibrated: boolean; relativeRange: number[]}}>}).resolved.pool!
    expect(pool.decodeSpeed).toMatchObject({calibrated: false})
    expect(pool.decodeSpeed!.relativeRange[0]).toBeCloseTo(1 / 1.7338, 3)
    const gpu = await runReplay({trace: 'synth:chat?requests=20', backend: 'gpu-h100', model: 'llama-4-scout'})
    expect((gpu.backend.config as {resolved: Record<string, object>}).resolved.pool).not.toHaveProperty('decodeSpeed')
  })
})

/** Least squares y = c + p x, weighted by 1 / y (relative error) or unweighted. */
function weightedLine(points: Array<[number, number]>, relative = true): [number, number] {
  let sw = 0
  let sx = 0
  let sy = 0
  let sxx = 0
  let sxy = 0
  for (const [x, y] of points) {
    const w = relative ? 1 / (y * y) : 1
    sw += w
    sx += w * x
    sy += w * y
    sxx += w * x * x
    sxy += w * x * y
  }
  const p = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
  return [(sy - p * sx) / sw, p]
}
