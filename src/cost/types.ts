/**
 * The contract between the cost model (src/cost) and its users (the simulator,
 * `tracebench predict`, calibration). Keep these names stable: other stages import them.
 */

export type Precision = 'bf16' | 'fp8' | 'fp4'
export const precisions: readonly Precision[] = ['bf16', 'fp8', 'fp4']

/** Which roofline term set the step time. */
export type StepBound = 'compute' | 'memory' | 'latency'

/** The time of one engine step (a prefill, a decode step, or a mixed iteration) and its breakdown. */
export interface StepTime {
  /** Total step time: max(compute, memory, latency) + communication + overhead. */
  ms: number
  bound: StepBound
  computeMs: number
  memoryMs: number
  latencyMs: number
  /** Tensor-parallel (or pipeline) communication added to the step. */
  commMs: number
  /**
   * Per-step overhead: fixed framework/kernel overhead (per step and per layer) plus, for the
   * analytic model, the share of the non-binding compute/memory term not hidden under the other.
   */
  overheadMs: number
  /** FLOPs the step computes (analytic models). */
  flops?: number
  /** Bytes the step moves through memory: weights, KV reads and writes (analytic models). */
  bytes?: number
}

/** Work done in one continuous-batching iteration. */
export interface IterationWork {
  /** New prompt tokens computed this iteration (sum over the prefill chunks in the batch). */
  prefillTokens: number
  /**
   * Sum over prefill chunks of (chunk tokens x tokens already in that sequence's context
   * before the chunk), for attention FLOPs over cached prefix / earlier chunks. 0 if unknown.
   */
  prefillContextTokenProducts?: number
  /** Number of prefill sequences (chunks) in the iteration. */
  prefillSequences?: number
  /** Sequences doing one decode step this iteration. */
  decodeSequences: number
  /** Sum of the context lengths (tokens already in the KV cache) of the decoding sequences. */
  decodeContextTokens: number
}

/** How one replica of a model is deployed on hardware. */
export interface DeploymentConfig {
  hardware: string
  model: string
  precision?: Precision
  /** Tensor-parallel degree (chips per replica along TP). Default 1. */
  tp?: number
  /** Pipeline stages. Default 1. */
  pp?: number
  /** For wafer-scale systems (cs3): systems per model copy; default = as many as the weights need. */
  systems?: number
}

export interface CostModel {
  /** Resolved, with defaults filled in (precision, tp, pp, systems). */
  readonly deployment: Required<DeploymentConfig>
  /** Chips (or systems for cs3) one replica occupies. */
  readonly chipsPerReplica: number
  readonly weightBytesPerReplica: number
  /** KV-cache bytes per token of context (GQA/MLA aware; full-attention accounting). */
  readonly kvBytesPerToken: number
  /** Tokens of KV cache that fit in one replica after weights and reserved headroom. */
  readonly kvCapacityTokens: number
  /** Number of transformer layers (used for layer-wise KV-transfer overlap). */
  readonly layers: number
  /** A whole prefill of `tokens` new tokens, `cachedPrefixTokens` already in the KV cache. */
  prefillTime(tokens: number, options?: {batch?: number; cachedPrefixTokens?: number}): StepTime
  /** One decode step for `batch` sequences whose contexts add up to `totalContextTokens`. */
  decodeStepTime(batch: number, totalContextTokens: number): StepTime
  /** A mixed continuous-batching iteration (chunked prefill plus decodes). */
  iterationTime(work: IterationWork): StepTime
  // The ms alone of the three calls above, exactly equal to their `.ms`: the simulator's
  // hot path asks for a time per iteration, and a StepTime object each was its garbage.
  /** `prefillTime(tokens, {cachedPrefixTokens}).ms` (batch 1). */
  prefillMs(tokens: number, cachedPrefixTokens: number): number
  /** `decodeStepTime(batch, totalContextTokens).ms`. */
  decodeStepMs(batch: number, totalContextTokens: number): number
  /** `iterationTime(work).ms`. */
  iterationMs(work: IterationWork): number
}
