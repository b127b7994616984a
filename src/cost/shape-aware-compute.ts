import type {HardwareSpec} from '../catalogs/load-catalog.js'
import type {ModelShape} from './model-shape.js'
import type {Precision} from './types.js'

/** A GEMM efficiency curve by GEMM FLOPs (catalog `gemmEfficiency.<precision>`). */
export interface GemmCurve {
  small: number
  large: number
  startFlops: number
  endFlops: number
}

/**
 * The fraction of peak one GEMM of `flops` reaches: `small` up to the start of the
 * transition, `large` from its end, linear in log FLOPs between. On the H100 large GEMMs
 * run slower per FLOP (8192^3 at 0.79 of peak, 16384^3 and X[4096,8192]@W[8192,28672] at
 * 0.71-0.73, hardware.md appendix): power-limited clocks under long kernels.
 */
export function gemmEfficiency(curve: GemmCurve, flops: number): number {
  if (flops <= curve.startFlops) return curve.small
  if (flops >= curve.endFlops) return curve.large
  const t = Math.log(flops / curve.startFlops) / Math.log(curve.endFlops / curve.startFlops)
  return curve.small + (curve.large - curve.small) * t
}

export function readGemmCurve(hardware: HardwareSpec, precision: Precision): GemmCurve | undefined {
  const entry = hardware.gemmEfficiency?.[precision]
  if (entry === undefined) return undefined
  return {small: entry.small.value, large: entry.large.value, startFlops: entry.transitionStartFlops.value, endFlops: entry.transitionEndFlops.value}
}

/** Compute time of a step from its GEMM shapes, attention FLOPs and activation traffic. */
export interface ShapeAwareCompute {
  /** ms of the step's linear layers and LM head for `tokens` tokens and `logitRows` rows of logits. */
  linearMs(tokens: number, logitRows: number): number
  /** Up to this many tokens every GEMM of a step is on the small plateau: linear ms = linear FLOPs x msPerFlopSmall. */
  readonly flatTokens: number
  readonly msPerFlopSmall: number
  /** ms per attention FLOP (at the bf16 rate: the KV cache is bf16). */
  readonly msPerAttentionFlop: number
  /** ms of memory-bound activation traffic per token of the step. */
  readonly activationMsPerToken: number
}

/**
 * Precomputes the shape-aware compute terms of one deployment, or returns undefined when the
 * hardware has no GEMM curve for the compute precision (then one efficiency covers every FLOP).
 * Each matrix of a tensor-parallel layer is split over `parallelUnits` chips, so one chip's
 * GEMM has 1/tp of the FLOPs, and its efficiency follows that size.
 */
export function describeShapeAwareCompute(
  hardware: HardwareSpec,
  shape: ModelShape,
  computePrecision: Precision,
  parallelUnits: number,
  msPerByteOneChip: number,
): ShapeAwareCompute | undefined {
  const curve = readGemmCurve(hardware, computePrecision)
  if (curve === undefined) return undefined
  const peak = (hardware.peakFlopsPerS[computePrecision] ?? hardware.peakFlopsPerS.bf16!).value
  const msPerPeakFlop = 1000 / (parallelUnits * peak)
  // Per matrix: FLOPs of one chip's share for one token of the step, and FLOPs of all such matrices per token.
  const groups = shape.gemms.map((gemm) => ({
    chipFlopsPerToken: (2 * gemm.params * gemm.tokenShare) / parallelUnits,
    totalFlopsPerToken: 2 * gemm.params * gemm.tokenShare * gemm.matrices,
  }))
  const lmHeadChipFlopsPerRow = shape.lmHeadFlopsPerToken / parallelUnits
  const largestChipFlopsPerToken = Math.max(lmHeadChipFlopsPerRow, ...groups.map((group) => group.chipFlopsPerToken))
  // Up to this many tokens every GEMM of the step is in the flat part of the curve (decode steps).
  const flatTokens = curve.startFlops / largestChipFlopsPerToken
  const msPerFlopSmall = msPerPeakFlop / curve.small
  const blockFlopsPerToken = shape.blockFlopsPerToken
  const lmHeadFlops = shape.lmHeadFlopsPerToken
  const attention = hardware.attentionEfficiency!.value
  const bf16Peak = hardware.peakFlopsPerS.bf16!.value
  const activation = shape.activationElementsPerToken
  // Hidden-size tensors are whole on every rank; head and FFN tensors are split by TP. bf16 elements.
  const activationBytesPerTokenPerChip = 2 * hardware.activationTrafficFactor!.value * (activation.replicated + activation.sharded / parallelUnits)
  return {
    linearMs(tokens, logitRows) {
      if (tokens <= flatTokens) return (blockFlopsPerToken * tokens + lmHeadFlops * logitRows) * msPerFlopSmall
      let ms = (lmHeadFlops * logitRows * msPerPeakFlop) / gemmEfficiency(curve, lmHeadChipFlopsPerRow * logitRows)
      for (const group of groups) ms += (group.totalFlopsPerToken * tokens * msPerPeakFlop) / gemmEfficiency(curve, group.chipFlopsPerToken * tokens)
      return ms
    },
    flatTokens,
    msPerFlopSmall,
    msPerAttentionFlop: 1000 / (parallelUnits * bf16Peak * attention),
    activationMsPerToken: activationBytesPerTokenPerChip * msPerByteOneChip,
  }
}
