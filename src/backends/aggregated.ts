import type {CostModel} from '../cost/types.js'
import type {BackendHost, BackendState, SimBackend} from './backend.js'
import type {AggregatedBackendConfig} from './backend-config.js'
import {BatchingReplica, type ReplicaListener} from './continuous-batching.js'
import {ReplicaRouter} from './router.js'
import type {Sequence} from './sequence.js'
import {nextStepEnd, readReplicaState, sumReplicaCounters} from './pool-totals.js'

/**
 * Aggregated serving: every replica does prefill and decode under continuous batching
 * (a vLLM-like GPU deployment, or CS-3 systems doing both phases, where prefill
 * iterations take wafer time away from decode).
 */
export class AggregatedBackend implements SimBackend, ReplicaListener {
  readonly replicas: BatchingReplica[]
  private readonly router: ReplicaRouter

  constructor(
    config: AggregatedBackendConfig,
    cost: CostModel,
    private readonly host: BackendHost,
  ) {
    const pool = config.pool
    this.replicas = Array.from({length: pool.replicas}, (_, i) => new BatchingReplica(i, host.sim, cost, pool.scheduler, 'full', this, host))
    this.router = new ReplicaRouter(this.replicas, config.routing.policy, config.routing.sessionAffinity, host.rng, config.routing.maxImbalance)
  }

  submit(seq: Sequence): void {
    const index = this.router.pick(seq)
    seq.replica = index
    this.replicas[index]!.enqueue(seq)
  }

  readState(out: BackendState): BackendState {
    return readReplicaState(out, this.replicas)
  }

  readCounters(): Record<string, number> {
    return sumReplicaCounters(this.replicas, '')
  }

  deliveredTokens(seq: Sequence, timeUs: number): number {
    if (seq.firstTokenUs < 0) return 0
    return this.replicas[seq.replica]!.tokensProducedBy(seq, timeUs)
  }

  nextTokenTimeAfter(timeUs: number): number {
    return nextStepEnd(this.replicas, timeUs)
  }

  onComplete(seq: Sequence, _replica: BatchingReplica, nowUs: number): void {
    this.host.completeRequest(seq, nowUs)
  }

  onFail(seq: Sequence, _replica: BatchingReplica, reason: string, detail: string): void {
    this.host.failRequest(seq, reason, detail)
  }

  onPrefillDone(): void {
    throw new Error('internal: prefill-only callback on an aggregated backend')
  }

  onKvReserved(): void {
    throw new Error('internal: KV reservation callback on an aggregated backend')
  }

  onPreempted(): void {
    throw new Error('internal: decode-pool preemption callback on an aggregated backend')
  }
}
