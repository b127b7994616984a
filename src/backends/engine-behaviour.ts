import type {CostModel, IterationWork, StepTime} from '../cost/types.js'

/**
 * Engine behaviours of a pool's scheduler (backend file `pool.scheduler`) that change what
 * a step costs, as opposed to what goes into it. Each one is off by default, and then the
 * cost model is used as it is (the same object: the default path does not get slower).
 * docs/simulation.md, "Engine behaviours", says which real engines behave this way.
 */
export interface EngineBehaviour {
  /**
   * Batch sizes the engine captured CUDA graphs for, ascending. A pure decode step of n
   * sequences runs the smallest captured size >= n and pays for the padded rows (their
   * linear layers, LM head and KV write); above the largest size it runs eagerly, unpadded.
   */
  decodeBatchBuckets?: readonly number[]
  /**
   * A static KV layout: every sequence owns a slot of this many tokens, and decode
   * attention reads the whole slot whatever the sequence's length.
   */
  staticKvSlotTokens?: number
  /**
   * Eager engines launch every kernel of a prompt iteration from the CPU: an iteration with
   * prompt work takes at least layers x this many µs, however small the prompt.
   */
  eagerPrefillLaunchUsPerLayer?: number
}

/** The smallest bucket >= n, or n itself beyond the largest bucket (eager, unpadded). */
export function padToBucket(n: number, buckets: readonly number[]): number {
  for (const size of buckets) if (size >= n) return size
  return n
}

/**
 * The pool's cost model with its engine behaviours applied. The replica calls it exactly as
 * it would call the cost model, so the simulator's scheduling code does not change: padding
 * maps a decode batch to its bucket, a static slot replaces each sequence's context by the
 * slot, and the eager floor raises iterations with prompt work to their launch time.
 */
export function applyEngineBehaviour(cost: CostModel, behaviour: EngineBehaviour): CostModel {
  const buckets = behaviour.decodeBatchBuckets ?? []
  const slot = behaviour.staticKvSlotTokens ?? 0
  const floorMs = ((behaviour.eagerPrefillLaunchUsPerLayer ?? 0) * cost.layers) / 1000
  if (buckets.length === 0 && slot === 0 && floorMs === 0) return cost

  const paddedBatch = (batch: number): number => (buckets.length === 0 || batch === 0 ? batch : padToBucket(batch, buckets))
  const decodeContext = (batch: number, totalContextTokens: number): number => (slot === 0 ? totalContextTokens : batch * slot)
  // Decode attention over whole slots; a mixed iteration's prompt chunks are not padded
  // (engines run them outside the captured decode graphs).
  const shapeWork = (work: IterationWork): IterationWork => {
    const pure = work.prefillTokens === 0
    return {
      ...work,
      decodeSequences: pure ? paddedBatch(work.decodeSequences) : work.decodeSequences,
      decodeContextTokens: decodeContext(work.decodeSequences, work.decodeContextTokens),
    }
  }
  const raise = (step: StepTime): StepTime => (step.ms >= floorMs ? step : {...step, overheadMs: step.overheadMs + floorMs - step.ms, ms: floorMs})
  const withPrompt = (work: IterationWork) => work.prefillTokens > 0

  return {
    deployment: cost.deployment,
    chipsPerReplica: cost.chipsPerReplica,
    weightBytesPerReplica: cost.weightBytesPerReplica,
    kvBytesPerToken: cost.kvBytesPerToken,
    kvCapacityTokens: cost.kvCapacityTokens,
    layers: cost.layers,
    prefillTime: (tokens, options) => raise(cost.prefillTime(tokens, options)),
    decodeStepTime: (batch, totalContextTokens) => cost.decodeStepTime(paddedBatch(batch), decodeContext(batch, totalContextTokens)),
    iterationTime: (work) => {
      const step = cost.iterationTime(shapeWork(work))
      return withPrompt(work) ? raise(step) : step
    },
    prefillMs: (tokens, cachedPrefixTokens) => Math.max(floorMs, cost.prefillMs(tokens, cachedPrefixTokens)),
    decodeStepMs: (batch, totalContextTokens) => cost.decodeStepMs(paddedBatch(batch), decodeContext(batch, totalContextTokens)),
    iterationMs: (work) => {
      const ms = cost.iterationMs(shapeWork(work))
      return withPrompt(work) ? Math.max(floorMs, ms) : ms
    },
  }
}
