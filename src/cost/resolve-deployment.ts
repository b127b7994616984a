import type {Catalog, HardwareSpec, ModelSpec} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {describeModelShape, type ModelShape} from './model-shape.js'
import {precisions, type DeploymentConfig, type Precision} from './types.js'

/** Minimum KV cache a replica must hold on top of its weights for a configuration to be accepted. */
export const defaultMinKvTokens = 4096

/** Bytes per parameter of the input embedding and LM head: kept at bf16 in FP8/FP4 checkpoints. */
export const embeddingBytesPerParam = 2

export interface ResolvedDeployment {
  deployment: Required<DeploymentConfig>
  hardware: HardwareSpec
  model: ModelSpec
  shape: ModelShape
  /** Chips (systems for wafers) in one replica. */
  chips: number
  /** Chips that share one step's work: the TP group, or all systems of a wafer pipeline. */
  parallelUnits: number
  blockBytesPerParam: number
  /** All weights held in memory, including the input embedding. */
  weightBytes: number
  usableMemoryBytes: number
  kvBytesPerToken: number
  kvCapacityTokens: number
}

/**
 * Fills in defaults (precision from the model's native format, tp/pp 1, the fewest CS-3 systems
 * that hold the weights and a minimum KV cache) and refuses a configuration that does not fit,
 * saying how much memory is missing and what would fit.
 */
export function resolveDeployment(config: DeploymentConfig, catalog: Catalog, minKvTokens = defaultMinKvTokens): ResolvedDeployment {
  const hardware = catalog.hardware(config.hardware)
  const model = catalog.model(config.model)
  const precision: Precision = config.precision ?? model.defaultPrecision ?? 'bf16'
  if (!precisions.includes(precision)) throw new TracebenchError(`unknown precision "${String(precision)}"; valid precision names: ${precisions.join(', ')}`)
  const tp = requireCount('tp', config.tp ?? 1)
  const pp = requireCount('pp', config.pp ?? 1)
  const shape = describeModelShape(model)
  const blockBytesPerParam = catalog.precision(precision).bytesPerParam.value
  const weightBytes = computeWeightBytes(shape, blockBytesPerParam)
  const kvBytesPerToken = shape.kvBytesPerToken
  const perChipBytes = hardware.memoryBytes.value * hardware.usableMemoryFraction.value
  const neededBytes = weightBytes + minKvTokens * kvBytesPerToken

  let chips: number
  let parallelUnits: number
  let systems: number
  if (hardware.kind === 'wafer') {
    if (tp !== 1 || pp !== 1)
      throw new TracebenchError(`${hardware.name} runs a layer pipeline across systems, not tensor or pipeline parallelism; use systems instead of tp/pp`)
    const fewest = Math.max(1, Math.ceil(neededBytes / perChipBytes))
    systems = config.systems === undefined ? fewest : requireCount('systems', config.systems)
    chips = systems
    parallelUnits = systems
  } else {
    const maxTp = hardware.maxTensorParallel.value
    if (tp > maxTp)
      throw new TracebenchError(`tp ${tp} exceeds the ${maxTp}-chip scale-up domain of ${hardware.name}; use pp (pipeline stages) to span more chips`, {
        suggestions: [`try --tp ${maxTp} --pp ${Math.ceil(tp / maxTp)}`],
      })
    chips = tp * pp
    parallelUnits = tp
    systems = Math.ceil(chips / hardware.footprint.chipsPerServer.value)
  }

  const usableMemoryBytes = chips * perChipBytes
  if (neededBytes > usableMemoryBytes) {
    throw new TracebenchError(
      `${model.name} at ${precision} does not fit on ${describeChips(hardware, chips)}: weights ${formatGb(weightBytes)} + minimum KV cache ` +
        `${formatGb(minKvTokens * kvBytesPerToken)} (${minKvTokens} tokens) need ${formatGb(neededBytes)}, usable memory is ` +
        `${formatGb(usableMemoryBytes)}; ${formatGb(neededBytes - usableMemoryBytes)} missing`,
      {code: 'DOES_NOT_FIT', suggestions: suggestFits(hardware, shape, catalog, precision, neededBytes, perChipBytes, minKvTokens, tp, pp)},
    )
  }

  return {
    deployment: {hardware: hardware.name, model: model.name, precision, tp, pp, systems},
    hardware,
    model,
    shape,
    chips,
    parallelUnits,
    blockBytesPerParam,
    weightBytes,
    usableMemoryBytes,
    kvBytesPerToken,
    kvCapacityTokens: Math.floor((usableMemoryBytes - weightBytes) / kvBytesPerToken),
  }
}

export function computeWeightBytes(shape: ModelShape, blockBytesPerParam: number): number {
  return shape.blockParams * blockBytesPerParam + (shape.embeddingParams + shape.lmHeadParams) * embeddingBytesPerParam
}

function suggestFits(
  hardware: HardwareSpec,
  shape: ModelShape,
  catalog: Catalog,
  precision: Precision,
  neededBytes: number,
  perChipBytes: number,
  minKvTokens: number,
  tp: number,
  pp: number,
): string[] {
  const chipsNeeded = Math.ceil(neededBytes / perChipBytes)
  if (hardware.kind === 'wafer') return [`use ${chipsNeeded} systems (--systems ${chipsNeeded})`, ...suggestLowerPrecision(shape, catalog, precision, minKvTokens, perChipBytes * tp * pp)]
  const suggestions: string[] = []
  const maxTp = hardware.maxTensorParallel.value
  let fittingTp = 1
  while (fittingTp < chipsNeeded) fittingTp *= 2
  if (fittingTp <= maxTp) suggestions.push(`use more tensor parallelism: --tp ${fittingTp}`)
  else suggestions.push(`span ${chipsNeeded} chips: --tp ${maxTp} --pp ${Math.ceil(chipsNeeded / maxTp)}`)
  suggestions.push(...suggestLowerPrecision(shape, catalog, precision, minKvTokens, perChipBytes * tp * pp))
  return suggestions
}

function suggestLowerPrecision(shape: ModelShape, catalog: Catalog, precision: Precision, minKvTokens: number, usableBytes: number): string[] {
  const narrower = precisions.slice(precisions.indexOf(precision) + 1)
  for (const candidate of narrower) {
    const needed = computeWeightBytes(shape, catalog.precision(candidate).bytesPerParam.value) + minKvTokens * shape.kvBytesPerToken
    if (needed <= usableBytes) return [`or a lower precision on the same chips: --precision ${candidate}`]
  }
  return []
}

function describeChips(hardware: HardwareSpec, chips: number): string {
  return hardware.kind === 'wafer' ? `${chips} ${hardware.name} system${chips === 1 ? '' : 's'}` : `${chips} ${hardware.name} chip${chips === 1 ? '' : 's'}`
}

function requireCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new TracebenchError(`${name} must be a positive integer, got ${value}`)
  return value
}

export function formatGb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`
}
