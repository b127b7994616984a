import type {CostModel, IterationWork, StepTime} from '../../src/cost/types.js'

/**
 * A cost model with round, hand-checkable numbers, so engine tests do not depend on
 * calibration: a step costs a fixed overhead plus linear terms, optionally with a
 * memory-bound floor on decode (a kink, to exercise the stretch fitting).
 */
export interface FakeCostOptions {
  kvCapacityTokens?: number
  kvBytesPerToken?: number
  /** µs per step whatever it does. */
  overheadUs?: number
  prefillUsPerToken?: number
  /** µs per (new token x cached token) for attention over a prefix. */
  prefillUsPerTokenPair?: number
  decodeUsPerSequence?: number
  decodeUsPerContextToken?: number
  /** Decode step floor in µs: step = max(floor, linear) (a kink in the context). */
  decodeFloorUs?: number
  chipsPerReplica?: number
  hardware?: string
}

export function createFakeCostModel(options: FakeCostOptions = {}): CostModel {
  const o = {
    kvCapacityTokens: 1_000_000,
    kvBytesPerToken: 1000,
    overheadUs: 1000,
    prefillUsPerToken: 100,
    prefillUsPerTokenPair: 0.001,
    decodeUsPerSequence: 10,
    decodeUsPerContextToken: 0.01,
    decodeFloorUs: 0,
    chipsPerReplica: 1,
    hardware: 'fake-gpu',
    ...options,
  }
  const step = (us: number): StepTime => ({
    ms: us / 1000,
    bound: 'compute',
    computeMs: us / 1000,
    memoryMs: 0,
    latencyMs: 0,
    commMs: 0,
    overheadMs: o.overheadUs / 1000,
  })
  const decodeUs = (batch: number, context: number) =>
    batch === 0 ? 0 : Math.max(o.decodeFloorUs, o.decodeUsPerSequence * batch + o.decodeUsPerContextToken * context)
  const iterationUs = (w: IterationWork) =>
    o.overheadUs + o.prefillUsPerToken * w.prefillTokens + o.prefillUsPerTokenPair * (w.prefillContextTokenProducts ?? 0) + decodeUs(w.decodeSequences, w.decodeContextTokens)
  return {
    deployment: {hardware: o.hardware, model: 'fake-model', precision: 'bf16', tp: 1, pp: 1, systems: 1},
    chipsPerReplica: o.chipsPerReplica,
    weightBytesPerReplica: 1e9,
    kvBytesPerToken: o.kvBytesPerToken,
    kvCapacityTokens: o.kvCapacityTokens,
    layers: 10,
    prefillTime(tokens, opts = {}) {
      const batch = opts.batch ?? 1
      const cached = opts.cachedPrefixTokens ?? 0
      return step(iterationUs({prefillTokens: tokens * batch, prefillContextTokenProducts: tokens * batch * cached, prefillSequences: batch, decodeSequences: 0, decodeContextTokens: 0}))
    },
    decodeStepTime(batch, totalContextTokens) {
      return step(o.overheadUs + decodeUs(batch, totalContextTokens))
    },
    iterationTime(work) {
      return step(iterationUs(work))
    },
    prefillMs(tokens, cachedPrefixTokens) {
      return iterationUs({prefillTokens: tokens, prefillContextTokenProducts: tokens * cachedPrefixTokens, prefillSequences: 1, decodeSequences: 0, decodeContextTokens: 0}) / 1000
    },
    decodeStepMs(batch, totalContextTokens) {
      return (o.overheadUs + decodeUs(batch, totalContextTokens)) / 1000
    },
    iterationMs(work) {
      return iterationUs(work) / 1000
    },
  }
}
