import type {BackendState} from './backend.js'
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

/**
 * The state sample of a set of replicas, into `out`: queue depth over `queuedOnly` and
 * `replicas`, batch size and KV-cache use over `replicas` (the pool whose memory bounds
 * concurrency: the only pool when aggregated, the decode pool when disaggregated).
 */
export function readReplicaState(out: BackendState, replicas: readonly BatchingReplica[], queuedOnly: readonly BatchingReplica[] = []): BackendState {
  let queueDepth = 0
  let batchSize = 0
  let used = 0
  let total = 0
  for (let i = 0; i < queuedOnly.length; i++) queueDepth += queuedOnly[i]!.queueDepth
  for (let i = 0; i < replicas.length; i++) {
    const r = replicas[i]!
    queueDepth += r.queueDepth
    batchSize += r.batchSize
    const pool = r.pool
    used += pool.usage * pool.totalBlocks
    total += pool.totalBlocks
  }
  out.queueDepth = queueDepth
  out.batchSize = batchSize
  out.kvUsage = total === 0 ? 0 : used / total
  return out
}

/** The earliest decode step of a stretch in progress, on any of the replicas, ending after `timeUs`. */
export function nextStepEnd(replicas: readonly BatchingReplica[], timeUs: number): number {
  let next = Number.POSITIVE_INFINITY
  for (const replica of replicas) {
    const t = replica.nextStepEndAfter(timeUs)
    if (t < next) next = t
  }
  return next
}
