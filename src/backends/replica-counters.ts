import type {BatchingReplica} from './continuous-batching.js'

/** Engine counters summed over a pool, keys prefixed with the pool name (`prefill.iterations`); prefix-cache hits are in the results' cachedTokens counter. */
export function sumReplicaCounters(replicas: readonly BatchingReplica[], prefix: string): Record<string, number> {
  let iterations = 0
  let stretches = 0
  let preemptions = 0
  for (const r of replicas) {
    iterations += r.iterations
    stretches += r.stretches
    preemptions += r.preemptionCount
  }
  const p = prefix === '' ? '' : `${prefix}.`
  return {
    [`${p}iterations`]: iterations,
    [`${p}decodeStretches`]: stretches,
    [`${p}preemptions`]: preemptions,
  }
}
