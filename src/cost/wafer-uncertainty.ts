import type {Catalog, HardwareSpec, ModelSpec} from '../catalogs/load-catalog.js'
import {resolveDeployment, defaultMinKvTokens} from './resolve-deployment.js'

/**
 * What is known and what is guessed about a wafer's decode speed (docs/cost-model.md, "CS-3:
 * calibrated and predicted speeds"). A model with a published per-user speed on the hardware
 * has its own per-layer latency (models.yaml `decodeLayerLatencyUs.<hardware>`): matching that
 * speed proves nothing. A model without one gets the documented model below, whose
 * leave-one-out error over the published models says how far off such a prediction can be.
 *
 * The model: a model on one system takes the median per-layer latency of the calibrated
 * single-system models; a model on several systems the median of the calibrated multi-system
 * models; without a calibrated model of its kind, the median of the other kind. (Fits on
 * width, active parameters, systems or a power law in active parameters did worse in
 * leave-one-out; the table in docs/cost-model.md compares them.)
 */

/** One published (calibrated) model, with its systems per replica on the hardware. */
export interface CalibratedWaferModel {
  model: string
  layers: number
  systems: number
  layerLatencyUs: number
}

/** The per-layer latency the documented model predicts for a model on `systems` systems, from `calibrated` (which must not include it). */
export function predictLayerLatencyUs(calibrated: readonly CalibratedWaferModel[], systems: number): number {
  const single = calibrated.filter((entry) => entry.systems === 1).map((entry) => entry.layerLatencyUs)
  const multi = calibrated.filter((entry) => entry.systems > 1).map((entry) => entry.layerLatencyUs)
  const own = systems === 1 ? single : multi
  return median(own.length > 0 ? own : systems === 1 ? multi : single)
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Every catalog model calibrated on `hardware`, with the systems one replica of it needs at its serving precision. */
export function listCalibratedWaferModels(catalog: Catalog, hardware: HardwareSpec): CalibratedWaferModel[] {
  return catalog
    .listModels()
    .filter((model) => model.decodeLayerLatencyUs?.[hardware.name] !== undefined)
    .map((model) => ({
      model: model.name,
      layers: model.layers,
      systems: resolveDeployment({hardware: hardware.name, model: model.name}, catalog, defaultMinKvTokens).deployment.systems,
      layerLatencyUs: model.decodeLayerLatencyUs![hardware.name]!.value,
    }))
}

export interface LeaveOneOutRow {
  model: string
  layers: number
  systems: number
  /** The published speed, as calibrated (1e6 / layers / per-layer latency). */
  publishedTokensPerS: number
  /** The per-layer latency the model predicts from the other published models. */
  predictedLayerLatencyUs: number
  predictedTokensPerS: number
  /** predicted / published - 1. */
  error: number
}

export interface LeaveOneOut {
  hardware: string
  rows: LeaveOneOutRow[]
  minError: number
  maxError: number
}

/** Predicts each published model from the others with the documented model: how wrong an uncalibrated prediction can be. */
export function leaveOneOutDecodeSpeed(catalog: Catalog, hardware: HardwareSpec): LeaveOneOut {
  const calibrated = listCalibratedWaferModels(catalog, hardware)
  const rows = calibrated.map((entry): LeaveOneOutRow => {
    const predicted = predictLayerLatencyUs(
      calibrated.filter((other) => other !== entry),
      entry.systems,
    )
    const publishedTokensPerS = 1e6 / (entry.layers * entry.layerLatencyUs)
    const predictedTokensPerS = 1e6 / (entry.layers * predicted)
    return {
      model: entry.model,
      layers: entry.layers,
      systems: entry.systems,
      publishedTokensPerS,
      predictedLayerLatencyUs: predicted,
      predictedTokensPerS,
      error: predictedTokensPerS / publishedTokensPerS - 1,
    }
  })
  const errors = rows.map((row) => row.error)
  return {hardware: hardware.name, rows, minError: Math.min(...errors), maxError: Math.max(...errors)}
}

/**
 * How sure the decode speed of `model` on wafer hardware is. Calibrated: exactly its published
 * speed. Otherwise: the true speed lies between predicted / (1 + the largest leave-one-out
 * error) and predicted / (1 + the smallest), so `relativeRange` multiplies the predicted
 * per-user speed. Null on hardware without a decode floor.
 */
export interface DecodeSpeedUncertainty {
  calibrated: boolean
  /** [low, high] factors on the predicted per-user speed (exactly [1, 1] when calibrated). */
  relativeRange: [number, number]
  /** One line for reports and verdicts. */
  why: string
}

export function describeDecodeSpeedUncertainty(catalog: Catalog, hardware: HardwareSpec, model: ModelSpec): DecodeSpeedUncertainty | null {
  if (hardware.decodeLayerLatencyUs === undefined && hardware.singleSystemDecodeLayerLatencyUs === undefined) return null
  const calibrated = model.decodeLayerLatencyUs?.[hardware.name]
  if (calibrated !== undefined) return {calibrated: true, relativeRange: [1, 1], why: `${model.name} on ${hardware.name} is calibrated to its published per-user speed (${calibrated.source})`}
  const loo = leaveOneOutDecodeSpeed(catalog, hardware)
  if (loo.rows.length < 2) {
    const floor = hardware.decodeLayerLatencyUs ?? hardware.singleSystemDecodeLayerLatencyUs!
    return {
      calibrated: false,
      relativeRange: [1, 1],
      why: `no model has a published per-user speed on ${hardware.name}, so no error can be measured: its decode floor is the hardware's ${floor.value} us per layer (${floor.source})`,
    }
  }
  const low = 1 / (1 + loo.maxError)
  const high = 1 / (1 + loo.minError)
  return {
    calibrated: false,
    relativeRange: [low, high],
    why:
      `${model.name} has no published per-user speed on ${hardware.name}: its speed is predicted from the ${loo.rows.length} published models, ` +
      `whose leave-one-out errors run from ${formatPct(loo.minError)} to ${formatPct(loo.maxError)} (the true speed may be ${formatFactor(low)} to ${formatFactor(high)} of the prediction)`,
  }
}

function formatPct(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${Math.round(fraction * 100)}%`
}

function formatFactor(factor: number): string {
  return `${Number(factor.toPrecision(3))}x`
}
