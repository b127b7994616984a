import {basename} from 'node:path'
import {loadCatalog, type Catalog, type HardwareSpec, type SourcedNumber} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {createCostModel, type AnalyticCostModel} from './cost-model.js'
import {interpolateScattered, type MeasuredProfile} from './measured-profile.js'
import {minimizeNelderMead} from './minimize-nelder-mead.js'
import {selectComputePrecision} from './precision.js'
import type {CostModel, IterationWork, Precision, StepTime} from './types.js'

/** Prefill points below this many tokens are reported but not held to the accuracy target. */
export const prefillScopeMinTokens = 512

/** The hardware constants a profile can pin down, in the order the fit varies them. */
export const fittedConstantNames = ['memoryEfficiency', 'computeEfficiency', 'layerOverheadUs', 'overlapLoss'] as const
export type FittedConstantName = (typeof fittedConstantNames)[number]

export interface CalibrationPoint {
  phase: 'prefill' | 'decode'
  tokens?: number
  batch?: number
  contextTokens?: number
  measuredMs: number
  /** Analytic model with the catalog's constants. */
  catalogMs: number
  catalogErrorPct: number
  /** Analytic model with the constants fitted to this profile. */
  fittedMs: number
  fittedErrorPct: number
  /** Whether the point is held to the accuracy target (decode: all; prefill: >= 512 tokens). */
  inScope: boolean
}

export interface ErrorSummary {
  decodeMapePct: number | null
  decodeMaxAbsErrorPct: number | null
  prefillMapePct: number | null
  prefillMaxAbsErrorPct: number | null
}

export interface CalibrationReport {
  profile: string
  hardware: string
  model: string
  precision: Precision
  decodeField: string
  /** Profile weight bytes (excluding the input embedding) against the model's count, when given. */
  weightBytesCheck: {profileBytes: number; modelBytes: number; differencePct: number} | null
  constants: Array<{name: FittedConstantName; field: string; catalog: number; fitted: number}>
  points: CalibrationPoint[]
  summary: {catalog: ErrorSummary; fitted: ErrorSummary}
  /** The hardware entry with the fitted constants, ready to write to a user catalog file. */
  fittedHardware: HardwareSpec
}

export interface CalibrateOptions {
  hardware?: string
  model?: string
  catalog?: Catalog
}

/**
 * Fits the efficiency constants of a hardware entry to a measured profile and reports the
 * analytic model's error per point and as mean absolute percentage error, for the catalog's
 * constants and the fitted ones. The fit minimises squared log errors over the in-scope points.
 */
export function calibrateHardware(profile: MeasuredProfile, options: CalibrateOptions = {}): CalibrationReport {
  const catalog = options.catalog ?? loadCatalog()
  const hardwareName = options.hardware ?? profile.hardware ?? inferHardwareName(profile, catalog)
  const modelName = options.model ?? profile.model ?? inferModelName(profile, catalog)
  const hardware = catalog.hardware(hardwareName)
  const model = catalog.model(modelName)
  const precision = profile.precision
  const computePrecision = selectComputePrecision(hardware, precision)
  const computeField = `computeEfficiency.${computePrecision}`

  const read = (spec: HardwareSpec): number[] => [
    spec.memoryEfficiency.value,
    (spec.computeEfficiency[computePrecision] ?? spec.computeEfficiency.bf16!).value,
    spec.layerOverheadUs.value,
    spec.overlapLoss.value,
  ]
  const withConstants = (values: number[], source: string): HardwareSpec => {
    const stamp = (value: number): SourcedNumber => ({value: roundTo(value, 4), source, tag: 'fit'})
    return {
      ...hardware,
      memoryEfficiency: stamp(values[0]!),
      computeEfficiency: {...hardware.computeEfficiency, [computePrecision]: stamp(values[1]!)},
      layerOverheadUs: stamp(values[2]!),
      overlapLoss: stamp(values[3]!),
    }
  }
  const predictAll = (spec: HardwareSpec): number[] => {
    const costModel = createCostModel({hardware: hardware.name, model: model.name, precision}, overrideHardware(catalog, spec))
    return [
      ...profile.prefill.map((row) => costModel.prefillTime(row.tokens).ms),
      ...profile.decode.map((row) => costModel.decodeStepTime(row.batch, row.batch * row.contextTokens).ms),
    ]
  }
  const measured = [...profile.prefill.map((row) => row.ms), ...profile.decode.map((row) => row.ms)]
  const inScope = [...profile.prefill.map((row) => row.tokens >= prefillScopeMinTokens), ...profile.decode.map(() => true)]

  const start = read(hardware)
  const objective = (values: number[]): number => {
    if (values[0]! <= 0.05 || values[0]! > 1 || values[1]! <= 0.05 || values[1]! > 1 || values[2]! < 0 || values[3]! < 0 || values[3]! > 1) return 1e9
    const predicted = predictAll(withConstants(values, ''))
    let sum = 0
    for (let index = 0; index < measured.length; index++) {
      if (inScope[index]) sum += Math.log(predicted[index]! / measured[index]!) ** 2
    }
    return sum
  }
  const fit = minimizeNelderMead(objective, start, {steps: [0.05, 0.05, 10, 0.1], maxIterations: 3000})
  const fittedSpec = withConstants(fit.x, `fitted: tracebench calibrate --profile ${basename(profile.file)} (${profile.decodeField} decode, prefill >= ${prefillScopeMinTokens} tokens)`)

  const catalogPredicted = predictAll(hardware)
  const fittedPredicted = predictAll(fittedSpec)
  const points: CalibrationPoint[] = measured.map((measuredMs, index) => {
    const isPrefill = index < profile.prefill.length
    const prefillRow = profile.prefill[index]
    const decodeRow = profile.decode[index - profile.prefill.length]
    return {
      phase: isPrefill ? 'prefill' : 'decode',
      ...(isPrefill ? {tokens: prefillRow!.tokens} : {batch: decodeRow!.batch, contextTokens: decodeRow!.contextTokens}),
      measuredMs,
      catalogMs: catalogPredicted[index]!,
      catalogErrorPct: percentError(catalogPredicted[index]!, measuredMs),
      fittedMs: fittedPredicted[index]!,
      fittedErrorPct: percentError(fittedPredicted[index]!, measuredMs),
      inScope: inScope[index]!,
    }
  })

  const modelBytes = createCostModel({hardware: hardware.name, model: model.name, precision}, catalog, {minKvTokens: 0})
  const streamedBytes = modelBytes.weightBytesPerReplica - modelBytes.shape.embeddingParams * 2
  const fittedValues = read(fittedSpec)
  return {
    profile: profile.file,
    hardware: hardware.name,
    model: model.name,
    precision,
    decodeField: profile.decodeField,
    weightBytesCheck:
      profile.weightBytes === undefined
        ? null
        : {profileBytes: profile.weightBytes, modelBytes: streamedBytes, differencePct: percentError(streamedBytes, profile.weightBytes)},
    constants: fittedConstantNames.map((name, index) => ({
      name,
      field: name === 'computeEfficiency' ? computeField : name,
      catalog: start[index]!,
      fitted: fittedValues[index]!,
    })),
    points,
    summary: {catalog: summarizeErrors(points, 'catalogErrorPct'), fitted: summarizeErrors(points, 'fittedErrorPct')},
    fittedHardware: fittedSpec,
  }
}

/**
 * A cost model that follows a measured profile: the analytic prediction times the
 * measured/analytic ratio, interpolated between profile points (log tokens for prefill,
 * inverse-distance in log batch and log context for decode) and held constant beyond them.
 * Exact at measured points; physically shaped elsewhere.
 */
export function createProfiledCostModel(base: AnalyticCostModel, profile: MeasuredProfile): CostModel {
  if (profile.hardware !== undefined && profile.hardware !== base.deployment.hardware)
    throw new TracebenchError(`${profile.file} measures ${profile.hardware}, not ${base.deployment.hardware}`)
  if (base.deployment.tp !== 1 || base.deployment.pp !== 1) throw new TracebenchError(`${profile.file} is a single-chip profile; it cannot correct tp ${base.deployment.tp} / pp ${base.deployment.pp}`)
  if (profile.precision !== base.deployment.precision)
    throw new TracebenchError(`${profile.file} was measured at ${profile.precision}, the deployment runs ${base.deployment.precision}`)
  const prefillRatios = profile.prefill.map((row) => ({x: row.tokens, y: row.ms / base.prefillTime(row.tokens).ms}))
  const decodeRatios = profile.decode.map((row) => ({
    batch: row.batch,
    contextTokens: row.contextTokens,
    value: row.ms / base.decodeStepTime(row.batch, row.batch * row.contextTokens).ms,
  }))
  const prefillRatio = (tokens: number): number => (prefillRatios.length === 0 ? 1 : interpolateClamped(prefillRatios, tokens))
  const decodeRatio = (batch: number, contextTokens: number): number => (decodeRatios.length === 0 ? 1 : interpolateScattered(decodeRatios, batch, contextTokens))
  const iterationRatio = (work: IterationWork): number => {
    const prefillSequences = work.prefillTokens > 0 ? Math.max(1, work.prefillSequences ?? 1) : 0
    const prefill = work.prefillTokens > 0 ? prefillRatio(work.prefillTokens / prefillSequences) : 0
    const decode = work.decodeSequences > 0 ? decodeRatio(work.decodeSequences, work.decodeContextTokens / work.decodeSequences) : 0
    const total = work.prefillTokens + work.decodeSequences
    return total === 0 ? 1 : (prefill * work.prefillTokens + decode * work.decodeSequences) / total
  }
  return {
    deployment: base.deployment,
    chipsPerReplica: base.chipsPerReplica,
    weightBytesPerReplica: base.weightBytesPerReplica,
    kvBytesPerToken: base.kvBytesPerToken,
    kvCapacityTokens: base.kvCapacityTokens,
    layers: base.layers,
    prefillTime: (tokens, options) => scaleStep(base.prefillTime(tokens, options), prefillRatio(tokens)),
    decodeStepTime: (batch, totalContextTokens) =>
      scaleStep(base.decodeStepTime(batch, totalContextTokens), decodeRatio(batch, batch > 0 ? totalContextTokens / batch : 0)),
    iterationTime: (work) => scaleStep(base.iterationTime(work), iterationRatio(work)),
    // scaleStep multiplies ms by the ratio, so these equal the `.ms` of the calls above.
    prefillMs: (tokens, cachedPrefixTokens) => base.prefillMs(tokens, cachedPrefixTokens) * prefillRatio(tokens),
    decodeStepMs: (batch, totalContextTokens) => base.decodeStepMs(batch, totalContextTokens) * decodeRatio(batch, batch > 0 ? totalContextTokens / batch : 0),
    iterationMs: (work) => base.iterationMs(work) * iterationRatio(work),
  }
}

function scaleStep(step: StepTime, ratio: number): StepTime {
  return {
    ...step,
    ms: step.ms * ratio,
    computeMs: step.computeMs * ratio,
    memoryMs: step.memoryMs * ratio,
    latencyMs: step.latencyMs * ratio,
    commMs: step.commMs * ratio,
    overheadMs: step.overheadMs * ratio,
  }
}

function interpolateClamped(points: ReadonlyArray<{x: number; y: number}>, x: number): number {
  const first = points[0]!
  const last = points.at(-1)!
  if (x <= first.x) return first.y
  if (x >= last.x) return last.y
  const upper = points.findIndex((point) => point.x >= x)
  const a = points[upper - 1]!
  const b = points[upper]!
  const t = Math.log(x / a.x) / Math.log(b.x / a.x)
  return a.y + t * (b.y - a.y)
}

function summarizeErrors(points: CalibrationPoint[], field: 'catalogErrorPct' | 'fittedErrorPct'): ErrorSummary {
  const pick = (phase: 'prefill' | 'decode') => points.filter((point) => point.phase === phase && point.inScope).map((point) => Math.abs(point[field]))
  const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length)
  const max = (values: number[]) => (values.length === 0 ? null : Math.max(...values))
  const decode = pick('decode')
  const prefill = pick('prefill')
  return {decodeMapePct: mean(decode), decodeMaxAbsErrorPct: max(decode), prefillMapePct: mean(prefill), prefillMaxAbsErrorPct: max(prefill)}
}

function percentError(predicted: number, measured: number): number {
  return ((predicted - measured) / measured) * 100
}

function roundTo(value: number, digits: number): number {
  const scale = 10 ** (digits - Math.ceil(Math.log10(Math.abs(value) || 1)))
  return Math.round(value * scale) / scale
}

function overrideHardware(catalog: Catalog, spec: HardwareSpec): Catalog {
  return {...catalog, hardware: (name: string) => (name.trim().toLowerCase() === spec.name ? spec : catalog.hardware(name))}
}

/** `NVIDIA H100 80GB HBM3` → h100-sxm: the catalog entry whose name or display name the device string mentions. */
function inferHardwareName(profile: MeasuredProfile, catalog: Catalog): string {
  const haystack = `${profile.device ?? ''} ${basename(profile.file)}`.toLowerCase()
  const match = catalog
    .listHardware()
    .filter((entry) => haystack.includes(entry.name.split('-')[0]!))
    .sort((a, b) => b.name.length - a.name.length)[0]
  if (match === undefined)
    throw new TracebenchError(`${profile.file}: cannot tell which hardware the profile measures; pass --hardware (valid hardware names: ${catalog.hardwareNames().join(', ')})`)
  return match.name
}

/** The longest catalog model name or alias that the file name or description mentions. */
function inferModelName(profile: MeasuredProfile, catalog: Catalog): string {
  const haystack = `${basename(profile.file)} ${profile.description ?? ''}`.toLowerCase()
  const candidates = catalog.listModels().flatMap((entry) => [entry.name, ...entry.aliases].map((name) => ({name, model: entry.name})))
  const match = candidates.filter((candidate) => haystack.includes(candidate.name)).sort((a, b) => b.name.length - a.name.length)[0]
  if (match === undefined)
    throw new TracebenchError(`${profile.file}: cannot tell which model the profile measures; pass --model (valid model names: ${catalog.modelNames().join(', ')})`)
  return match.model
}
