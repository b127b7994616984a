import {loadCatalog, type Catalog, type HardwareSpec, type LinkSpec, type ModelSpec} from '../catalogs/load-catalog.js'
import {countDecodeKeys, countPrefillPairs, countTouchedExperts, type ModelShape} from './model-shape.js'
import {computeAchievableFlopsPerS, selectComputePrecision} from './precision.js'
import {defaultMinKvTokens, embeddingBytesPerParam, resolveDeployment} from './resolve-deployment.js'
import type {CostModel, DeploymentConfig, IterationWork, Precision, StepBound, StepTime} from './types.js'
import {describeShapeAwareCompute} from './shape-aware-compute.js'
import {computeDecodeFloorMs} from './wafer-floor.js'

/** Activations exchanged by tensor-parallel all-reduces and pipeline hops are bf16. */
const activationBytesPerElement = 2
/** Tensor parallelism all-reduces twice per layer (after attention and after the FFN). */
const allReducesPerLayer = 2

export interface CostModelOptions {
  /** KV tokens a replica must hold besides its weights (default 4096). */
  minKvTokens?: number
  /** Multiplies the wafer decode floor (for the ends of an uncalibrated model's speed range); default 1. */
  decodeFloorScale?: number
}

/** The cost model plus what it was built from, for `predict`, calibration and reports. */
export interface AnalyticCostModel extends CostModel {
  readonly hardwareSpec: HardwareSpec
  readonly modelSpec: ModelSpec
  readonly shape: ModelShape
  /** Precision the matrix units run in (weights narrower than the hardware supports are widened). */
  readonly computePrecision: Precision
  /** Systems (servers, CS-3s) one replica occupies. */
  readonly systemsPerReplica: number
  /** Wafer decode floor for one token in ms (layers x per-layer latency); 0 on GPUs and Trainium. */
  readonly decodeFloorMs: number
  /** FLOPs and bytes moved by an iteration, before they are turned into time. */
  measureWork(work: IterationWork): {flops: number; bytes: number; tokens: number}
}

/**
 * The roofline cost model of one replica: a step takes
 *   max(compute, memory, latency floor) + communication + overhead,
 * compute = FLOPs / (chips x peak x efficiency), memory = bytes / (chips x bandwidth x efficiency),
 * overhead = fixed + per-layer overhead + the unhidden share of the non-binding term.
 * All per-deployment coefficients are computed here once so that `iterationTime` costs a few
 * multiplications (the simulator calls it for every batch change).
 */
export function createCostModel(config: DeploymentConfig, catalog: Catalog = loadCatalog(), options: CostModelOptions = {}): AnalyticCostModel {
  const resolved = resolveDeployment(config, catalog, options.minKvTokens ?? defaultMinKvTokens)
  const {hardware, model, shape, parallelUnits, blockBytesPerParam} = resolved
  const {tp, pp, systems} = resolved.deployment
  const computePrecision = selectComputePrecision(hardware, resolved.deployment.precision)

  const msPerFlop = 1000 / (parallelUnits * computeAchievableFlopsPerS(hardware, computePrecision))
  const msPerByte = 1000 / (parallelUnits * hardware.memoryBandwidthBytesPerS.value * hardware.memoryEfficiency.value)
  // Hardware with a GEMM curve: linear layers by shape, attention at its own rate, activation traffic (shape-aware-compute.ts).
  const shaped = describeShapeAwareCompute(hardware, shape, computePrecision, parallelUnits, msPerByte * parallelUnits)
  const overlapLoss = hardware.overlapLoss.value
  const fixedOverheadMs = hardware.stepOverheadMs.value + (hardware.layerOverheadUs.value * shape.layers) / 1000
  const decodeFloorMs = computeDecodeFloorMs(model, hardware, systems) * (options.decodeFloorScale ?? 1)

  // Weights streamed per step: everything but the input embedding (a row gather) and the routed
  // experts, plus the experts the step's tokens touch.
  const expertBytes = shape.expertParams * blockBytesPerParam
  const alwaysReadBytes =
    (shape.blockParams - shape.moeLayers * shape.experts * shape.expertParams) * blockBytesPerParam + shape.lmHeadParamsRead * embeddingBytesPerParam
  const moeLayers = shape.moeLayers
  const experts = shape.experts
  const activeExperts = shape.activeExperts
  const readWeightBytes = (tokens: number): number =>
    moeLayers === 0 ? alwaysReadBytes : alwaysReadBytes + moeLayers * expertBytes * countTouchedExperts(experts, activeExperts, Math.max(1, tokens))

  const groups = shape.attentionGroups.map((group) => ({
    group,
    kvBytesPerKey: group.layers * shape.kvBytesPerTokenPerLayer,
    prefillFlopsPerPair: group.layers * shape.attentionFlopsPerPairPrefill,
    decodeFlopsPerPair: group.layers * shape.attentionFlopsPerPairDecode,
  }))
  const kvBytesPerToken = shape.kvBytesPerToken
  const blockFlopsPerToken = shape.blockFlopsPerToken
  const lmHeadFlops = shape.lmHeadFlopsPerToken

  const comm = describeCommunication(catalog, hardware, shape, tp, pp, systems)

  const commMsFor = (tokens: number): number => (tokens > 0 ? comm.fixedMs + comm.msPerToken * tokens : 0)
  /** Fixed per-step overhead, plus the part of the hidden (overlapped) time that does not overlap. */
  const overheadMsFor = (computeMs: number, memoryMs: number): number => fixedOverheadMs + overlapLoss * Math.min(computeMs, memoryMs)

  /** The step time in ms: max(compute, memory, latency) + communication + overhead (one efficiency for every FLOP). */
  const composeMs = (flops: number, bytes: number, tokens: number, latencyMs: number): number => {
    const computeMs = flops * msPerFlop
    const memoryMs = bytes * msPerByte
    return Math.max(computeMs, memoryMs, latencyMs) + commMsFor(tokens) + overheadMsFor(computeMs, memoryMs)
  }

  /**
   * The same for shape-aware hardware, from the measured work: linear layers by GEMM shape,
   * attention at its own rate, and memory-bound activation traffic run alone (outside the max).
   * The overhead and activation terms are summed first, as composeStep sums them.
   */
  const composeShapedMs = (latencyMs: number): number => {
    const computeMs = shapedComputeMs()
    const memoryMs = measured.bytes * msPerByte
    return Math.max(computeMs, memoryMs, latencyMs) + commMsFor(measured.tokens) + (overheadMsFor(computeMs, memoryMs) + measured.tokens * shaped!.activationMsPerToken)
  }
  // Hoisted for the hot path: decode steps (few tokens) take the flat branch, two multiplications.
  const flatTokens = shaped?.flatTokens ?? 0
  const msPerFlopSmall = shaped?.msPerFlopSmall ?? 0
  const msPerAttentionFlop = shaped?.msPerAttentionFlop ?? 0
  const shapedComputeMs = (): number => {
    const attention = measured.attentionFlops
    const linearMs = measured.tokens <= flatTokens ? (measured.flops - attention) * msPerFlopSmall : shaped!.linearMs(measured.tokens, measured.logitRows)
    return linearMs + attention * msPerAttentionFlop
  }

  /** The step time with its breakdown; `ms` is computed as in composeMs (activation traffic counts as overhead). */
  const composeStep = (latencyMs: number): StepTime => {
    const computeMs = shaped === undefined ? measured.flops * msPerFlop : shapedComputeMs()
    const memoryMs = measured.bytes * msPerByte
    const peakMs = Math.max(computeMs, memoryMs, latencyMs)
    const bound: StepBound = latencyMs > Math.max(computeMs, memoryMs) ? 'latency' : computeMs >= memoryMs ? 'compute' : 'memory'
    const commMs = commMsFor(measured.tokens)
    const overheadMs = shaped === undefined ? overheadMsFor(computeMs, memoryMs) : overheadMsFor(computeMs, memoryMs) + measured.tokens * shaped.activationMsPerToken
    return {ms: peakMs + commMs + overheadMs, bound, computeMs, memoryMs, latencyMs, commMs, overheadMs, flops: measured.flops, bytes: measured.bytes}
  }

  // measureInto's result, read right after the call: the simulator measures every
  // iteration, and a fresh {flops, bytes, tokens} per call was garbage on its hot path.
  const measured = {flops: 0, bytes: 0, tokens: 0, attentionFlops: 0, logitRows: 0}
  const measureInto = (work: IterationWork): void => {
    const prefillTokens = work.prefillTokens
    const decodeSequences = work.decodeSequences
    const prefillSequences = prefillTokens > 0 ? Math.max(1, work.prefillSequences ?? 1) : 0
    const tokens = prefillTokens + decodeSequences
    const logitRows = prefillSequences + decodeSequences
    // flops accumulates in the same order as before attention was counted apart (bit-identical results).
    let flops = blockFlopsPerToken * tokens + lmHeadFlops * logitRows
    let attention = 0
    let bytes = readWeightBytes(tokens) + kvBytesPerToken * tokens
    if (prefillTokens > 0) {
      const chunkTokens = prefillTokens / prefillSequences
      const cachedTokens = (work.prefillContextTokenProducts ?? 0) / prefillTokens
      for (const entry of groups) {
        const pairFlops = entry.prefillFlopsPerPair * prefillSequences * countPrefillPairs(entry.group, chunkTokens, cachedTokens)
        flops += pairFlops
        attention += pairFlops
        bytes += entry.kvBytesPerKey * prefillSequences * countDecodeKeys(entry.group, cachedTokens)
      }
    }
    if (decodeSequences > 0) {
      const contextTokens = work.decodeContextTokens / decodeSequences
      for (const entry of groups) {
        const keys = countDecodeKeys(entry.group, contextTokens) * decodeSequences
        flops += entry.decodeFlopsPerPair * keys
        attention += entry.decodeFlopsPerPair * keys
        bytes += entry.kvBytesPerKey * keys
      }
    }
    measured.flops = flops
    measured.attentionFlops = attention
    measured.logitRows = logitRows
    measured.bytes = bytes
    measured.tokens = tokens
  }

  const measureWork = (work: IterationWork): {flops: number; bytes: number; tokens: number} => {
    measureInto(work)
    return {flops: measured.flops, bytes: measured.bytes, tokens: measured.tokens}
  }

  const iterationTime = (work: IterationWork): StepTime => {
    measureInto(work)
    if (measured.tokens === 0) return {ms: 0, bound: 'memory', computeMs: 0, memoryMs: 0, latencyMs: 0, commMs: 0, overheadMs: 0, flops: 0, bytes: 0}
    return composeStep(decodeFloorMs)
  }

  const iterationMs =
    shaped === undefined
      ? (work: IterationWork): number => {
          measureInto(work)
          return measured.tokens === 0 ? 0 : composeMs(measured.flops, measured.bytes, measured.tokens, decodeFloorMs)
        }
      : (work: IterationWork): number => {
          measureInto(work)
          return measured.tokens === 0 ? 0 : composeShapedMs(decodeFloorMs)
        }

  // Reused by the ms-only calls instead of a work object per call (filled, then measured at once).
  const prefillWork = {prefillTokens: 0, prefillSequences: 1, prefillContextTokenProducts: 0, decodeSequences: 0, decodeContextTokens: 0}
  const decodeWork = {prefillTokens: 0, decodeSequences: 0, decodeContextTokens: 0}

  return {
    deployment: resolved.deployment,
    chipsPerReplica: resolved.chips,
    weightBytesPerReplica: resolved.weightBytes,
    kvBytesPerToken,
    kvCapacityTokens: resolved.kvCapacityTokens,
    layers: shape.layers,
    hardwareSpec: hardware,
    modelSpec: model,
    shape,
    computePrecision,
    systemsPerReplica: systems,
    decodeFloorMs,
    measureWork,
    prefillTime(tokens, prefillOptions = {}) {
      const batch = prefillOptions.batch ?? 1
      const cached = prefillOptions.cachedPrefixTokens ?? 0
      return iterationTime({
        prefillTokens: tokens * batch,
        prefillSequences: batch,
        prefillContextTokenProducts: tokens * batch * cached,
        decodeSequences: 0,
        decodeContextTokens: 0,
      })
    },
    decodeStepTime(batch, totalContextTokens) {
      return iterationTime({prefillTokens: 0, decodeSequences: batch, decodeContextTokens: totalContextTokens})
    },
    iterationTime,
    prefillMs(tokens, cachedPrefixTokens) {
      prefillWork.prefillTokens = tokens
      prefillWork.prefillContextTokenProducts = tokens * cachedPrefixTokens
      return iterationMs(prefillWork)
    },
    decodeStepMs(batch, totalContextTokens) {
      decodeWork.decodeSequences = batch
      decodeWork.decodeContextTokens = totalContextTokens
      return iterationMs(decodeWork)
    },
    iterationMs,
  }
}

interface Communication {
  fixedMs: number
  msPerToken: number
}

/**
 * Tensor parallelism: two ring all-reduces of the step's activations per layer, each paying the
 * link's per-collective latency plus 2(tp-1)/tp of the bytes over the scale-up link.
 * Pipeline stages (and wafer-to-wafer hops) each pass the activations once; the wafer hop
 * latency is already inside the per-layer floor, so only its bandwidth is charged.
 */
function describeCommunication(catalog: Catalog, hardware: HardwareSpec, shape: ModelShape, tp: number, pp: number, systems: number): Communication {
  const bytesPerToken = shape.hidden * activationBytesPerElement
  let fixedMs = 0
  let msPerToken = 0
  const effectiveBytesPerMs = (link: LinkSpec) => (link.bandwidthBytesPerS.value * link.efficiency.value) / 1000
  if (hardware.kind === 'wafer') {
    if (systems > 1 && hardware.scaleOutLink !== undefined) {
      const link = catalog.link(hardware.scaleOutLink)
      msPerToken += ((systems - 1) * bytesPerToken) / effectiveBytesPerMs(link)
    }
    return {fixedMs, msPerToken}
  }
  if (tp > 1 && hardware.scaleUpLink !== undefined) {
    const link = catalog.link(hardware.scaleUpLink)
    const collectives = allReducesPerLayer * shape.layers
    fixedMs += (collectives * link.latencyUs.value) / 1000
    msPerToken += (collectives * ((2 * (tp - 1)) / tp) * bytesPerToken) / effectiveBytesPerMs(link)
  }
  if (pp > 1) {
    const linkName = tp * pp <= hardware.maxTensorParallel.value ? hardware.scaleUpLink : hardware.scaleOutLink
    if (linkName !== undefined) {
      const link = catalog.link(linkName)
      fixedMs += ((pp - 1) * link.latencyUs.value) / 1000
      msPerToken += ((pp - 1) * bytesPerToken) / effectiveBytesPerMs(link)
    }
  }
  return {fixedMs, msPerToken}
}
