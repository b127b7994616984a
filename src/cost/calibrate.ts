import {basename} from 'node:path'
import {loadCatalog, type Catalog, type HardwareSpec, type SourcedNumber} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {createCostModel, type AnalyticCostModel} from './cost-model.js'
import {interpolateScattered, type MeasuredProfile} from './measured-profile.js'
import {minimizeNelderMead} from './minimize-nelder-mead.js'
import {selectComputePrecision} from './precision.js'
import {gemmEfficiency, readGemmCurve} from './shape-aware-compute.js'
import type {CostModel, IterationWork, Precision, StepTime} from './types.js'

/** Prefill points below this many tokens are reported but not held to the accuracy target. */
export const prefillScopeMinTokens = 512

/** The hardware constants a profile can pin down (one efficiency for every FLOP), in the order the fit varies them. */
export const fittedConstantNames = ['memoryEfficiency', 'computeEfficiency', 'layerOverheadUs', 'overlapLoss'] as const
/** With a GEMM curve: the shape-aware constants, fitted to the profile and the hardware's measured GEMMs together. */
export const shapeAwareConstantNames = [
  'memoryEfficiency',
  'layerOverheadUs',
  'overlapLoss',
  'attentionEfficiency',
  'activationTrafficFactor',
  'gemmEfficiency.small',
  'gemmEfficiency.large',
] as const
export type FittedConstantName = (typeof fittedConstantNames)[number] | (typeof shapeAwareConstantNames)[number]

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

/** One measured GEMM of the hardware entry against the shape-aware model. */
export interface GemmCalibrationPoint {
  m: number
  n: number
  k: number
  precision: Precision
  measuredUs: number
  /** Measured FLOP rate as a fraction of the precision's peak. */
  measuredFractionOfPeak: number
  /** The curve's efficiency for this GEMM's FLOPs (catalog, fitted). */
  catalogEfficiency: number
  fittedEfficiency: number
  catalogUs: number
  catalogErrorPct: number
  fittedUs: number
  fittedErrorPct: number
  /** Fitted with the profile (its precision); other precisions are reported only. */
  inFit: boolean
}

export interface ErrorSummary {
  decodeMapePct: number | null
  decodeMaxAbsErrorPct: number | null
  prefillMapePct: number | null
  prefillMaxAbsErrorPct: number | null
  /** Measured GEMMs of the profile's precision (shape-aware hardware only). */
  gemmMapePct?: number | null
  gemmMaxAbsErrorPct?: number | null
}

export interface CalibrationReport {
  profile: string
  hardware: string
  model: string
  precision: Precision
  decodeField: string
  /** `flat`: one compute efficiency; `shape-aware`: efficiency by GEMM shape (the hardware has a GEMM curve). */
  computeModel: 'flat' | 'shape-aware'
  /** Profile weight bytes (excluding the input embedding) against the model's count, when given. */
  weightBytesCheck: {profileBytes: number; modelBytes: number; differencePct: number} | null
  constants: Array<{name: FittedConstantName; field: string; catalog: number; fitted: number}>
  points: CalibrationPoint[]
  /** The hardware's measured GEMMs, per shape (empty without a GEMM curve or measurements). */
  gemmPoints: GemmCalibrationPoint[]
  summary: {catalog: ErrorSummary; fitted: ErrorSummary}
  /** The hardware entry with the fitted constants, ready to write to a user catalog file. */
  fittedHardware: HardwareSpec
}

export interface CalibrateOptions {
  hardware?: string
  model?: string
  catalog?: Catalog
}

/** How the fit reads, bounds and writes one constant of a hardware entry. */
interface ConstantAccess {
  name: FittedConstantName
  field: string
  read(spec: HardwareSpec): number
  write(spec: HardwareSpec, value: SourcedNumber): HardwareSpec
  valid(value: number): boolean
  /** Initial simplex step. */
  step: number
}

function listConstants(computePrecision: Precision, shapeAware: boolean): ConstantAccess[] {
  const fraction = (value: number) => value > 0.05 && value <= 1
  const top = (field: 'memoryEfficiency' | 'layerOverheadUs' | 'overlapLoss' | 'attentionEfficiency' | 'activationTrafficFactor', valid: (v: number) => boolean, step: number): ConstantAccess => ({
    name: field,
    field,
    read: (s) => s[field]!.value,
    write: (s, value) => ({...s, [field]: value}),
    valid,
    step,
  })
  const memory = top('memoryEfficiency', fraction, 0.05)
  const layer = top('layerOverheadUs', (v) => v >= 0, 10)
  const overlap = top('overlapLoss', (v) => v >= 0 && v <= 1, 0.1)
  if (!shapeAware) {
    return [
      memory,
      {
        name: 'computeEfficiency',
        field: `computeEfficiency.${computePrecision}`,
        read: (s) => (s.computeEfficiency[computePrecision] ?? s.computeEfficiency.bf16!).value,
        write: (s, value) => ({...s, computeEfficiency: {...s.computeEfficiency, [computePrecision]: value}}),
        valid: fraction,
        step: 0.05,
      },
      layer,
      overlap,
    ]
  }
  // The transition's ends are not fitted: no measured GEMM lies inside it, so the data only bracket them
  // (the catalog puts them at the largest GEMM measured on the small plateau and the smallest on the large one).
  const curveField = (key: 'small' | 'large'): ConstantAccess => ({
    name: `gemmEfficiency.${key}`,
    field: `gemmEfficiency.${computePrecision}.${key}`,
    read: (s) => s.gemmEfficiency![computePrecision]![key].value,
    write: (s, value) => ({...s, gemmEfficiency: {...s.gemmEfficiency, [computePrecision]: {...s.gemmEfficiency![computePrecision]!, [key]: value}}}),
    valid: fraction,
    step: 0.03,
  })
  return [
    memory,
    layer,
    overlap,
    top('attentionEfficiency', fraction, 0.05),
    top('activationTrafficFactor', (v) => v >= 0, 0.5),
    curveField('small'),
    curveField('large'),
  ]
}

/**
 * Fits the efficiency constants of a hardware entry to a measured profile and reports the
 * analytic model's error per point and as mean absolute percentage error, for the catalog's
 * constants and the fitted ones. The fit minimises squared log errors over the in-scope points.
 * Hardware with a GEMM curve (`gemmEfficiency`) is fitted shape-aware: the curve, attention
 * efficiency and activation traffic together with the memory and overhead constants, over the
 * profile and the entry's measured GEMMs (`gemmMeasurements`), each GEMM reported by shape.
 */
export function calibrateHardware(profile: MeasuredProfile, options: CalibrateOptions = {}): CalibrationReport {
  const catalog = options.catalog ?? loadCatalog()
  const hardwareName = options.hardware ?? profile.hardware ?? inferHardwareName(profile, catalog)
  const modelName = options.model ?? profile.model ?? inferModelName(profile, catalog)
  const hardware = catalog.hardware(hardwareName)
  const model = catalog.model(modelName)
  const precision = profile.precision
  const computePrecision = selectComputePrecision(hardware, precision)
  const shapeAware = readGemmCurve(hardware, computePrecision) !== undefined
  const constants = listConstants(computePrecision, shapeAware)

  const read = (spec: HardwareSpec): number[] => constants.map((constant) => constant.read(spec))
  const withConstants = (values: number[], source: string): HardwareSpec =>
    constants.reduce((spec, constant, index) => constant.write(spec, {value: roundTo(values[index]!, 4), source, tag: 'fit'}), hardware)
  const predictAll = (spec: HardwareSpec): number[] => {
    const costModel = createCostModel({hardware: hardware.name, model: model.name, precision}, overrideHardware(catalog, spec))
    return [
      ...profile.prefill.map((row) => costModel.prefillTime(row.tokens).ms),
      ...profile.decode.map((row) => costModel.decodeStepTime(row.batch, row.batch * row.contextTokens).ms),
    ]
  }
  const measured = [...profile.prefill.map((row) => row.ms), ...profile.decode.map((row) => row.ms)]
  const inScope = [...profile.prefill.map((row) => row.tokens >= prefillScopeMinTokens), ...profile.decode.map(() => true)]
  const gemms = shapeAware ? (hardware.gemmMeasurements?.points ?? []) : []
  const gemmInFit = gemms.map((point) => point.precision === computePrecision)

  const start = read(hardware)
  const objective = (values: number[]): number => {
    if (!constants.every((constant, index) => constant.valid(values[index]!))) return 1e9
    const spec = withConstants(values, '')
    const predicted = predictAll(spec)
    let sum = 0
    for (let index = 0; index < measured.length; index++) {
      if (inScope[index]) sum += Math.log(predicted[index]! / measured[index]!) ** 2
    }
    gemms.forEach((point, index) => {
      if (gemmInFit[index]) sum += Math.log(predictGemmUs(spec, point) / gemmMeasuredUs(point)) ** 2
    })
    return sum
  }
  const fit = minimizeNelderMead(objective, start, {steps: constants.map((constant) => constant.step), maxIterations: shapeAware ? 4000 : 3000})
  const source = `fitted: tracebench calibrate --profile ${basename(profile.file)} (${profile.decodeField} decode, prefill >= ${prefillScopeMinTokens} tokens${gemms.length > 0 ? `, ${gemms.filter((_, i) => gemmInFit[i]).length} measured GEMMs` : ''})`
  const fittedSpec = withConstants(fit.x, source)

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
  const gemmPoints: GemmCalibrationPoint[] = gemms.map((point, index) => {
    const measuredUs = gemmMeasuredUs(point)
    const catalogUs = predictGemmUs(hardware, point)
    const fittedUs = predictGemmUs(fittedSpec, point)
    const flops = 2 * point.m * point.n * point.k
    return {
      m: point.m,
      n: point.n,
      k: point.k,
      precision: point.precision,
      measuredUs,
      measuredFractionOfPeak: flops / (measuredUs * 1e-6) / peakFlopsPerS(hardware, point.precision),
      catalogEfficiency: gemmEfficiency(readGemmCurve(hardware, point.precision)!, flops),
      fittedEfficiency: gemmEfficiency(readGemmCurve(fittedSpec, point.precision)!, flops),
      catalogUs,
      catalogErrorPct: percentError(catalogUs, measuredUs),
      fittedUs,
      fittedErrorPct: percentError(fittedUs, measuredUs),
      inFit: gemmInFit[index]!,
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
    computeModel: shapeAware ? 'shape-aware' : 'flat',
    weightBytesCheck:
      profile.weightBytes === undefined
        ? null
        : {profileBytes: profile.weightBytes, modelBytes: streamedBytes, differencePct: percentError(streamedBytes, profile.weightBytes)},
    constants: constants.map((constant, index) => ({name: constant.name, field: constant.field, catalog: start[index]!, fitted: fittedValues[index]!})),
    points,
    gemmPoints,
    summary: {catalog: summarizeErrors(points, gemmPoints, 'catalogErrorPct'), fitted: summarizeErrors(points, gemmPoints, 'fittedErrorPct')},
    fittedHardware: fittedSpec,
  }
}

type GemmMeasurement = NonNullable<HardwareSpec['gemmMeasurements']>['points'][number]

function gemmMeasuredUs(point: GemmMeasurement): number {
  return point.us ?? (2 * point.m * point.n * point.k) / (point.tflops! * 1e12) * 1e6
}

function peakFlopsPerS(hardware: HardwareSpec, precision: Precision): number {
  return (hardware.peakFlopsPerS[precision] ?? hardware.peakFlopsPerS.bf16!).value
}

/**
 * One GEMM X[m,k] @ W[k,n] alone, on the same roofline as a step: compute at the curve's
 * efficiency for its FLOPs, memory for the weights, input and output at the memory
 * efficiency, the smaller term partly unhidden (overlapLoss).
 */
export function predictGemmUs(hardware: HardwareSpec, point: {m: number; n: number; k: number; precision: Precision}): number {
  const flops = 2 * point.m * point.n * point.k
  const curve = readGemmCurve(hardware, point.precision)
  if (curve === undefined) throw new TracebenchError(`${hardware.name} has no gemmEfficiency for ${point.precision}`)
  const weightBytes = point.precision === 'bf16' ? 2 : point.precision === 'fp8' ? 1 : 0.5
  const bytes = weightBytes * (point.n * point.k + point.m * point.k) + 2 * point.m * point.n
  const computeUs = (flops / (peakFlopsPerS(hardware, point.precision) * gemmEfficiency(curve, flops))) * 1e6
  const memoryUs = (bytes / (hardware.memoryBandwidthBytesPerS.value * hardware.memoryEfficiency.value)) * 1e6
  return Math.max(computeUs, memoryUs) + hardware.overlapLoss.value * Math.min(computeUs, memoryUs)
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

function summarizeErrors(points: CalibrationPoint[], gemmPoints: GemmCalibrationPoint[], field: 'catalogErrorPct' | 'fittedErrorPct'): ErrorSummary {
  const pick = (phase: 'prefill' | 'decode') => points.filter((point) => point.phase === phase && point.inScope).map((point) => Math.abs(point[field]))
  const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length)
  const max = (values: number[]) => (values.length === 0 ? null : Math.max(...values))
  const decode = pick('decode')
  const prefill = pick('prefill')
  const summary: ErrorSummary = {decodeMapePct: mean(decode), decodeMaxAbsErrorPct: max(decode), prefillMapePct: mean(prefill), prefillMaxAbsErrorPct: max(prefill)}
  if (gemmPoints.length === 0) return summary
  const gemm = gemmPoints.filter((point) => point.inFit).map((point) => Math.abs(point[field]))
  return {...summary, gemmMapePct: mean(gemm), gemmMaxAbsErrorPct: max(gemm)}
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
