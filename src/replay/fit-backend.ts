import {basename} from 'node:path'
import {listPools, type BackendConfig, type HardwareOverrides} from '../backends/backend-config.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {loadCatalog, type Catalog} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {minimizeNelderMead} from '../cost/minimize-nelder-mead.js'
import {selectComputePrecision} from '../cost/precision.js'
import type {Precision} from '../cost/types.js'
import {decodeHistogram, valuesAtPercentilesUs} from '../metrics/histograms.js'
import type {ResultsFile} from '../metrics/results-file.js'
import {runReplay, type ReplayOptions} from './run-replay.js'

/** The constants a fit from a real run varies, per hardware entry of the backend's pools. */
export const fittableConstants = ['memoryEfficiency', 'computeEfficiency', 'layerOverheadUs', 'stepOverheadMs', 'overlapLoss'] as const
export type FittableConstant = (typeof fittableConstants)[number]
export const defaultFitConstants: readonly FittableConstant[] = ['memoryEfficiency', 'computeEfficiency']

/** Percentiles of TTFT and TPOT the fit matches (the body of both distributions, not one point). */
export const fitPercentiles = [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95] as const

export interface FitParameter {
  hardware: string
  constant: FittableConstant
  /** `computeEfficiency.fp8` for a compute efficiency. */
  field: string
  precision: Precision | null
  before: number
  after: number
}

export interface FitPoint {
  metric: 'ttft' | 'tpot'
  percentile: number
  measuredMs: number
  beforeMs: number
  afterMs: number
}

export interface BackendFit {
  parameters: FitParameter[]
  points: FitPoint[]
  /** Mean absolute percentage error over the points, before and after. */
  mapeBeforePct: number
  mapeAfterPct: number
  replays: number
  /** The backend configuration with the fitted constants in each pool's hardwareOverrides. */
  fitted: BackendConfig
}

export interface FitOptions {
  /** The measured run (usually real: `replay --backend http://...`). */
  results: ResultsFile
  resultsPath: string
  backend: BackendConfig
  /** The trace the run replayed (default: the path recorded in the results file). */
  trace?: string
  model?: string
  constants?: readonly FittableConstant[]
  catalogFiles?: string[]
  maxReplays?: number
}

interface Slot {
  hardware: string
  constant: FittableConstant
  precision: Precision | null
  pools: string[]
}

/**
 * Fits a backend's hardware constants so that a simulated replay of the same trace (same
 * rate scale, limit and seed) reproduces a measured run's TTFT and TPOT percentiles:
 * Nelder-Mead on the logarithms of the constants, minimising the squared log error of
 * p10/p25/p50/p75/p90 of both. Each evaluation is one replay, so keep the trace short
 * (hundreds of requests replay in milliseconds).
 */
export async function fitBackendToResults(options: FitOptions): Promise<BackendFit> {
  const {results} = options
  const harness = results.http?.harness
  if (harness !== undefined && !harness.valid) {
    throw new TracebenchError(
      `${options.resultsPath}: the run's harness marked it invalid (${harness.invalidReasons.join('; ') || 'interrupted'}): its latencies include the client's own delay and cannot calibrate a backend; measure again with a client that keeps up`,
    )
  }
  const catalog = loadCatalog({extraFiles: options.catalogFiles})
  const constants = options.constants ?? defaultFitConstants
  const slots = buildSlots(options.backend, constants, catalog, options.model)
  const measured = readPoints(results, options.resultsPath)
  const trace = options.trace ?? results.trace.path
  const base: Omit<ReplayOptions, 'backend'> = {
    trace,
    model: options.model,
    rateScale: results.trace.rateScale,
    limit: results.trace.limit ?? undefined,
    seed: results.seed,
    catalogFiles: options.catalogFiles,
  }
  const start = slots.map((slot) => readConstant(options.backend, slot, catalog))
  let replays = 0
  const simulate = async (values: number[]): Promise<ResultsFile> => {
    replays++
    return runReplay({...base, backend: withConstants(options.backend, slots, values, '')})
  }
  const predicted = (sim: ResultsFile) => readPoints(sim, 'simulation').map((p) => p.ms)
  const before = predicted(await simulate(start))
  if (before.length !== measured.length) throw new TracebenchError(`${options.resultsPath}: the simulation of the trace has no TPOT or TTFT data to compare`)

  const cache = new Map<string, number>()
  const keyOf = (x: number[]) => x.map((v) => v.toFixed(9)).join(',')
  const lossOf = (sim: number[]) => sim.reduce((sum, ms, i) => sum + Math.log(Math.max(ms, 1e-6) / measured[i]!.ms) ** 2, 0)
  const toValues = (x: number[]) => x.map((v, i) => clampConstant(slots[i]!.constant, Math.exp(v)))
  const x0 = start.map((v) => Math.log(Math.max(v, 1e-3)))
  const maxReplays = options.maxReplays ?? 600
  let best: {x: number[]; value: number} = {x: x0, value: Number.POSITIVE_INFINITY}
  // Nelder-Mead wants a synchronous objective and each value is an (async) replay: the
  // deterministic simplex walk is replayed from the start against a cache, and stops at
  // the first point not in it, which is then simulated.
  const notCached = new Error('not cached')
  // Restarted from its best point until a restart gains nothing: a lone Nelder-Mead run
  // stalls early on the slightly rugged surface that discrete batching makes.
  let from = x0
  for (let restart = 0; restart < 4 && replays < maxReplays; restart++) {
    let walk: {x: number[]; value: number} = {x: from, value: Number.POSITIVE_INFINITY}
    for (;;) {
      let missing: number[] | null = null
      try {
        walk = minimizeNelderMead(
          (x) => {
            const cached = cache.get(keyOf(x))
            if (cached !== undefined) return cached
            missing = x
            throw notCached
          },
          from,
          {steps: from.map(() => (restart === 0 ? 0.2 : 0.05)), maxIterations: 300, tolerance: 1e-10},
        )
      } catch (error) {
        if (error !== notCached) throw error
      }
      if (missing === null || replays >= maxReplays) break
      const x: number[] = missing
      cache.set(keyOf(x), lossOf(predicted(await simulate(toValues(x)))))
    }
    const improved = walk.value < best.value - 1e-9 * Math.max(1, best.value)
    if (walk.value < best.value) best = walk
    if (!improved && restart > 0) break
    from = best.x
  }
  if (!Number.isFinite(best.value)) best = {x: [...cache.entries()].sort((a, b) => a[1] - b[1])[0]![0].split(',').map(Number), value: 0}
  const fittedValues = toValues(best.x)
  const after = predicted(await simulate(fittedValues))
  const source = `fitted: tracebench calibrate --results ${basename(options.resultsPath)} (TTFT and TPOT p${fitPercentiles.join('/')} of ${results.counters.completed} requests)`
  return {
    parameters: slots.map((slot, i) => ({
      hardware: slot.hardware,
      constant: slot.constant,
      field: slot.precision === null ? slot.constant : `${slot.constant}.${slot.precision}`,
      precision: slot.precision,
      before: start[i]!,
      after: fittedValues[i]!,
    })),
    points: measured.map((p, i) => ({metric: p.metric, percentile: p.percentile, measuredMs: p.ms, beforeMs: before[i]!, afterMs: after[i]!})),
    mapeBeforePct: mape(before, measured),
    mapeAfterPct: mape(after, measured),
    replays,
    fitted: withConstants(options.backend, slots, fittedValues, source),
  }
}

function buildSlots(backend: BackendConfig, constants: readonly FittableConstant[], catalog: Catalog, model: string | undefined): Slot[] {
  const slots: Slot[] = []
  const resolved = resolveBackend(backend, catalog, {model})
  for (const {name, config: pool, cost} of resolved.pools) {
    const hardware = catalog.hardware(pool.hardware)
    const precision = selectComputePrecision(hardware, cost.deployment.precision)
    for (const constant of constants) {
      const slotPrecision = constant === 'computeEfficiency' ? precision : null
      const existing = slots.find((s) => s.hardware === hardware.name && s.constant === constant && s.precision === slotPrecision)
      if (existing !== undefined) existing.pools.push(name)
      else slots.push({hardware: hardware.name, constant, precision: slotPrecision, pools: [name]})
    }
  }
  return slots
}

function readConstant(backend: BackendConfig, slot: Slot, catalog: Catalog): number {
  const pool = listPools(backend).find(([name]) => name === slot.pools[0])![1]
  const overrides = pool.hardwareOverrides
  const spec = catalog.hardware(slot.hardware)
  if (slot.constant === 'computeEfficiency') {
    const p = slot.precision!
    return overrides?.computeEfficiency?.[p]?.value ?? spec.computeEfficiency[p]?.value ?? spec.computeEfficiency.bf16!.value
  }
  return overrides?.[slot.constant]?.value ?? spec[slot.constant].value
}

function withConstants(backend: BackendConfig, slots: readonly Slot[], values: readonly number[], source: string): BackendConfig {
  const config = structuredClone(backend)
  for (const [name, pool] of listPools(config)) {
    const overrides: HardwareOverrides = {...pool.hardwareOverrides}
    slots.forEach((slot, i) => {
      if (!slot.pools.includes(name)) return
      const entry = {value: roundTo(values[i]!), source: source === '' ? 'fit in progress' : source, tag: 'fit' as const}
      if (slot.constant === 'computeEfficiency') overrides.computeEfficiency = {...overrides.computeEfficiency, [slot.precision!]: entry}
      else overrides[slot.constant] = entry
    })
    pool.hardwareOverrides = overrides
  }
  return config
}

function clampConstant(constant: FittableConstant, value: number): number {
  if (constant === 'memoryEfficiency' || constant === 'computeEfficiency') return Math.min(1, Math.max(0.01, value))
  if (constant === 'overlapLoss') return Math.min(1, value)
  return value
}

function readPoints(results: ResultsFile, label: string): Array<{metric: 'ttft' | 'tpot'; percentile: number; ms: number}> {
  const out: Array<{metric: 'ttft' | 'tpot'; percentile: number; ms: number}> = []
  for (const metric of ['ttft', 'tpot'] as const) {
    const entry = results.metrics[metric]
    if (entry.count === 0) throw new TracebenchError(`${label}: metrics.${metric} has no data; the fit needs measured TTFT and TPOT`)
    const values = valuesAtPercentilesUs(decodeHistogram(entry.histogram, `${label}: metrics.${metric}.histogram`), fitPercentiles)
    fitPercentiles.forEach((percentile, i) => out.push({metric, percentile, ms: Math.max(values[i]!, 1) / 1000}))
  }
  return out
}

function mape(predicted: readonly number[], measured: ReadonlyArray<{ms: number}>): number {
  return (predicted.reduce((sum, ms, i) => sum + Math.abs(ms - measured[i]!.ms) / measured[i]!.ms, 0) / predicted.length) * 100
}

function roundTo(value: number): number {
  return Number(value.toPrecision(5))
}
