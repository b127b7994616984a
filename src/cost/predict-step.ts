import {loadCatalog} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {createProfiledCostModel} from './calibrate.js'
import {createCostModel} from './cost-model.js'
import {computeFootprint, type Footprint} from './footprint.js'
import {readMeasuredProfile} from './measured-profile.js'
import type {DeploymentConfig, Precision, StepBound} from './types.js'
import {describeDecodeSpeedUncertainty} from './wafer-uncertainty.js'

export interface PredictRequest extends DeploymentConfig {
  phase: 'prefill' | 'decode'
  /** Prefill: new prompt tokens per sequence. */
  tokens?: number
  /** Prefill: tokens already in the KV cache (prefix-cache hit). */
  cachedTokens?: number
  batch?: number
  /** Decode: context tokens per sequence. */
  contextTokens?: number
  /** User catalog files merged over the built-in ones. */
  catalogFiles?: string[]
  /** A measured profile to correct the analytic model with (same hardware, model, precision, tp 1). */
  profileFile?: string
}

/** The `tracebench predict --json` document. */
export interface Prediction {
  hardware: string
  model: string
  precision: Precision
  computePrecision: Precision
  tp: number
  pp: number
  systems: number
  chips: number
  phase: 'prefill' | 'decode'
  batch: number
  tokens?: number
  cachedTokens?: number
  contextTokens?: number
  /** Whether a measured profile corrected the analytic step time. */
  source: 'analytic' | 'profile'
  ms: number
  bound: StepBound
  computeMs: number
  memoryMs: number
  latencyMs: number
  commMs: number
  overheadMs: number
  flops: number | null
  bytes: number | null
  /** Decode only: 1000 / ms. */
  tokensPerSPerUser?: number
  /**
   * Decode on wafer hardware for a model without a published speed there: where the per-user
   * speed may lie, from the leave-one-out error of the prediction (docs/cost-model.md).
   */
  tokensPerSPerUserRange?: [number, number]
  /** Wafer hardware: whether the decode floor is calibrated to a published speed, and why the range. */
  decodeSpeed?: {calibrated: boolean; why: string}
  /** Tokens per second over the whole batch (prompt tokens for prefill, output tokens for decode). */
  tokensPerS: number
  weightBytes: number
  kvBytesPerToken: number
  kvCapacityTokens: number
  footprint: Footprint
}

/** Predicts one prefill or decode step for a deployment; the library side of `tracebench predict`. */
export function predictStep(request: PredictRequest): Prediction {
  const catalog = loadCatalog({extraFiles: request.catalogFiles ?? []})
  const analytic = createCostModel(request, catalog)
  const costModel = request.profileFile === undefined ? analytic : createProfiledCostModel(analytic, readMeasuredProfile(request.profileFile))
  const batch = request.batch ?? 1
  if (!Number.isInteger(batch) || batch < 1) throw new TracebenchError(`batch must be a positive integer, got ${batch}`)
  const maxContext = analytic.modelSpec.maxContextTokens
  const common = {
    hardware: analytic.deployment.hardware,
    model: analytic.deployment.model,
    precision: analytic.deployment.precision,
    computePrecision: analytic.computePrecision,
    tp: analytic.deployment.tp,
    pp: analytic.deployment.pp,
    systems: analytic.deployment.systems,
    chips: analytic.chipsPerReplica,
    phase: request.phase,
    batch,
    source: request.profileFile === undefined ? ('analytic' as const) : ('profile' as const),
    weightBytes: analytic.weightBytesPerReplica,
    kvBytesPerToken: analytic.kvBytesPerToken,
    kvCapacityTokens: analytic.kvCapacityTokens,
    footprint: computeFootprint(analytic.deployment.hardware, analytic.chipsPerReplica, catalog),
  }
  const checkContext = (perSequence: number) => {
    if (perSequence > maxContext) throw new TracebenchError(`${perSequence} tokens of context exceed ${analytic.modelSpec.name}'s maximum context of ${maxContext} tokens`)
    if (perSequence * batch > analytic.kvCapacityTokens)
      throw new TracebenchError(
        `batch ${batch} x ${perSequence} tokens = ${perSequence * batch} KV tokens exceed this deployment's KV capacity of ${analytic.kvCapacityTokens} tokens`,
        {suggestions: ['lower --batch, or add memory (--tp, --pp, --systems)']},
      )
  }
  if (request.phase === 'prefill') {
    const tokens = requirePositiveInteger('tokens', request.tokens, '--tokens is required for --phase prefill')
    const cachedTokens = request.cachedTokens ?? 0
    if (!Number.isInteger(cachedTokens) || cachedTokens < 0) throw new TracebenchError(`cached tokens must be a non-negative integer, got ${cachedTokens}`)
    checkContext(tokens + cachedTokens)
    const step = costModel.prefillTime(tokens, {batch, cachedPrefixTokens: cachedTokens})
    return {...common, tokens, cachedTokens, ...stepFields(step), tokensPerS: (tokens * batch * 1000) / step.ms}
  }
  const contextTokens = requirePositiveInteger('context', request.contextTokens, '--context is required for --phase decode')
  checkContext(contextTokens)
  const step = costModel.decodeStepTime(batch, batch * contextTokens)
  const uncertainty = describeDecodeSpeedUncertainty(catalog, analytic.hardwareSpec, analytic.modelSpec)
  const range = (): [number, number] => {
    // The speed range [low, high] x predicted is a decode floor longer by 1/low, shorter by 1/high.
    const at = (factor: number) => 1000 / createCostModel(request, catalog, {decodeFloorScale: 1 / factor}).decodeStepTime(batch, batch * contextTokens).ms
    return [at(uncertainty!.relativeRange[0]), at(uncertainty!.relativeRange[1])]
  }
  return {
    ...common,
    contextTokens,
    ...stepFields(step),
    tokensPerSPerUser: 1000 / step.ms,
    tokensPerS: (batch * 1000) / step.ms,
    ...(uncertainty === null ? {} : {decodeSpeed: {calibrated: uncertainty.calibrated, why: uncertainty.why}}),
    ...(uncertainty === null || uncertainty.calibrated || uncertainty.relativeRange[0] === uncertainty.relativeRange[1] || request.profileFile !== undefined ? {} : {tokensPerSPerUserRange: range()}),
  }
}

function stepFields(step: ReturnType<ReturnType<typeof createCostModel>['decodeStepTime']>) {
  return {
    ms: step.ms,
    bound: step.bound,
    computeMs: step.computeMs,
    memoryMs: step.memoryMs,
    latencyMs: step.latencyMs,
    commMs: step.commMs,
    overheadMs: step.overheadMs,
    flops: step.flops ?? null,
    bytes: step.bytes ?? null,
  }
}

function requirePositiveInteger(name: string, value: number | undefined, missing: string): number {
  if (value === undefined) throw new TracebenchError(missing)
  if (!Number.isInteger(value) || value < 1) throw new TracebenchError(`${name} must be a positive integer, got ${value}`)
  return value
}
