import type {CostModel} from '../cost/types.js'
import type {BackendHost, BackendState, SimBackend} from './backend.js'
import type {DisaggregatedBackendConfig} from './backend-config.js'
import {BatchingReplica, type ReplicaListener} from './continuous-batching.js'
import {countDescriptors} from '../cost/kv-transfer.js'
import {KvLinkNetwork, SharedLink, type TransferListener} from './kv-link-network.js'
import {nextStepEnd, readReplicaState, sumReplicaCounters} from './pool-totals.js'
import {ReplicaRouter} from './router.js'
import type {Sequence} from './sequence.js'

/** The link figures the backend needs, resolved from the catalog. */
export interface KvPathSpec {
  /** Effective bandwidth of one path out of a prefill replica (line rate x efficiency), bytes/s. */
  egressBytesPerS: number
  /** Effective ingress bandwidth of one decode replica, bytes/s (Infinity when not modelled). */
  ingressBytesPerS: number
  /** Per-transfer latency plus setup, microseconds. */
  fixedUs: number
  overlapFraction: number
  /** Time per descriptor, µs, and bytes per descriptor (0: descriptors not modelled). */
  descriptorUs?: number
  descriptorBytes?: number
  /** A transfer not landed this long after it started fails with kv-transfer-timeout (Infinity: never). */
  timeoutUs?: number
}

/**
 * Disaggregated serving: a prefill pool computes the prompt's KV cache (and the first
 * token), the KV crosses a shared link, and a decode pool generates the rest.
 *
 * Flow of a request: route to a prefill replica → queue → prefill (chunked) → the KV is
 * held on the prefill side while the decode side reserves blocks for it → transfer
 * (bytes the decode side does not already have cached, less the share hidden under the
 * prefill by layer-wise streaming) → the first token reaches the user when the KV lands
 * → the sequence joins the decode batch at the next iteration. A decode-side preemption
 * sends the sequence back to the prefill pool (recompute, then a new transfer).
 */
export class DisaggregatedBackend implements SimBackend, ReplicaListener, TransferListener {
  readonly prefill: BatchingReplica[]
  readonly decode: BatchingReplica[]
  private readonly prefillRouter: ReplicaRouter
  private readonly decodeRouter: ReplicaRouter
  private readonly network: KvLinkNetwork
  private readonly egress: SharedLink[]
  private readonly ingress: SharedLink[]
  private readonly kvBytesPerToken: number
  private readonly descriptorUs: number
  private readonly descriptorBytes: number
  private readonly timeoutUs: number

  constructor(
    config: DisaggregatedBackendConfig,
    prefillCost: CostModel,
    decodeCost: CostModel,
    private readonly path: KvPathSpec,
    private readonly host: BackendHost,
  ) {
    const sim = host.sim
    this.prefill = Array.from(
      {length: config.prefill.replicas},
      (_, i) => new BatchingReplica(i, sim, prefillCost, config.prefill.scheduler, 'prefill', this, host),
    )
    this.decode = Array.from({length: config.decode.replicas}, (_, i) => new BatchingReplica(i, sim, decodeCost, config.decode.scheduler, 'decode', this, host))
    this.prefillRouter = new ReplicaRouter(this.prefill, config.routing.policy, config.routing.sessionAffinity, host.rng, config.routing.maxImbalance)
    this.decodeRouter = new ReplicaRouter(this.decode, config.routing.policy, config.routing.sessionAffinity, host.rng, config.routing.maxImbalance)
    this.network = new KvLinkNetwork(sim, this)
    this.egress = this.prefill.map((_, i) => new SharedLink(`prefill-${i}-egress`, path.egressBytesPerS / 1e6))
    this.ingress = this.decode.map((_, i) => new SharedLink(`decode-${i}-ingress`, path.ingressBytesPerS / 1e6))
    // The decode side stores (and so receives) the KV in its own layout.
    this.kvBytesPerToken = decodeCost.kvBytesPerToken
    this.descriptorUs = path.descriptorUs ?? 0
    this.descriptorBytes = path.descriptorBytes ?? 0
    this.timeoutUs = path.timeoutUs ?? Number.POSITIVE_INFINITY
  }

  submit(seq: Sequence): void {
    this.sendToPrefill(seq)
  }

  private sendToPrefill(seq: Sequence): void {
    const index = this.prefillRouter.pick(seq)
    seq.replica = index
    this.prefill[index]!.enqueue(seq)
  }

  readState(out: BackendState): BackendState {
    return readReplicaState(out, this.decode, this.prefill)
  }

  readCounters(): Record<string, number> {
    return {
      ...sumReplicaCounters(this.prefill, 'prefill'),
      ...sumReplicaCounters(this.decode, 'decode'),
      kvTransfers: this.network.transfersStarted,
      kvTransferTimeouts: this.network.transfersTimedOut,
    }
  }

  deliveredTokens(seq: Sequence, timeUs: number): number {
    if (seq.firstTokenUs < 0) return 0
    if (seq.phase === 2) return this.decode[seq.decodeReplica]!.tokensProducedBy(seq, timeUs)
    // A recomputed prompt's token is counted when the prefill ends but reaches the user
    // only when its KV lands (deliverToken), while the prefill side still holds the KV.
    return seq.heldReplica >= 0 ? seq.generated - 1 : seq.generated
  }

  nextTokenTimeAfter(timeUs: number): number {
    return nextStepEnd(this.decode, timeUs)
  }

  // ------------------------------------------------------------ replica callbacks

  onPrefillDone(seq: Sequence, replica: BatchingReplica, nowUs: number): void {
    seq.heldReplica = replica.index
    if (seq.generated >= seq.outputTokens) {
      // The prefill produced the only (or last) token: nothing to decode, nothing to move.
      this.deliverToken(seq, nowUs)
      replica.releaseHeld(seq)
      seq.phase = 4
      this.host.completeRequest(seq, nowUs)
      return
    }
    seq.prefillEndUs = nowUs
    const decodeIndex = this.decodeRouter.pick(seq)
    seq.decodeReplica = decodeIndex
    this.decode[decodeIndex]!.reserve(seq)
  }

  onKvReserved(seq: Sequence, replica: BatchingReplica, nowUs: number): void {
    const tokens = seq.inputTokens + seq.generated - 1 - seq.decodeCachedTokens
    const bytes = Math.max(0, tokens) * this.kvBytesPerToken
    const egress = this.egress[seq.heldReplica]!
    const ingress = this.ingress[replica.index]!
    // Layer-wise streaming sends each layer's KV while later layers are still being
    // prefilled: up to `overlapFraction` of the bytes, and no more than the path could
    // have carried during the prefill, are already across when the prefill ends.
    const nominalBytesPerUs = Math.min(egress.bytesPerUs, ingress.bytesPerUs)
    const prefillUs = Math.max(0, seq.prefillEndUs - seq.prefillStartUs)
    const f = this.path.overlapFraction
    const exposedBytes = f === 0 ? bytes : Math.max((1 - f) * bytes, bytes - f * prefillUs * nominalBytesPerUs)
    seq.transferStartUs = nowUs
    // Layer-wise streaming posts a layer's descriptors as it sends it: the hidden share costs nothing after the prefill.
    const descriptorsUs = this.descriptorUs === 0 ? 0 : countDescriptors(exposedBytes, this.descriptorBytes) * this.descriptorUs
    this.network.start(seq, egress, ingress, exposedBytes, this.path.fixedUs + descriptorsUs, this.timeoutUs)
  }

  onTransferTimeout(seq: Sequence, nowUs: number): void {
    seq.kvTransferUs += nowUs - seq.transferStartUs
    this.decode[seq.decodeReplica]!.cancelReservation(seq)
    this.prefill[seq.heldReplica]!.releaseHeld(seq)
    seq.heldReplica = -1
    this.host.failRequest(seq, 'kv-transfer-timeout', `the KV transfer to decode replica ${seq.decodeReplica} had not landed ${this.timeoutUs / 1000} ms after it started`)
  }

  onTransferDone(seq: Sequence, nowUs: number): void {
    seq.kvTransferUs += nowUs - seq.transferStartUs
    this.prefill[seq.heldReplica]!.releaseHeld(seq)
    seq.heldReplica = -1
    this.deliverToken(seq, nowUs)
    this.decode[seq.decodeReplica]!.join(seq)
  }

  /** The token computed by the prefill reaches the user (first token, or the next one after a recompute). */
  private deliverToken(seq: Sequence, nowUs: number): void {
    if (seq.firstTokenUs < 0) seq.firstTokenUs = nowUs
    else this.host.recordItl(nowUs - seq.lastTokenUs, 1)
    seq.lastTokenUs = nowUs
  }

  onComplete(seq: Sequence, _replica: BatchingReplica, nowUs: number): void {
    this.host.completeRequest(seq, nowUs)
  }

  onFail(seq: Sequence, replica: BatchingReplica, reason: string, detail: string): void {
    if (seq.heldReplica >= 0) {
      this.prefill[seq.heldReplica]!.releaseHeld(seq)
      seq.heldReplica = -1
    }
    const pool = this.decode.includes(replica) ? 'decode' : 'prefill'
    this.host.failRequest(seq, reason, `${pool} pool: ${detail}`)
  }

  onPreempted(seq: Sequence): void {
    // The decode side lost the KV: prefill the prompt plus what was generated, again.
    seq.promptTokens = seq.inputTokens + seq.generated
    seq.prefilledTokens = 0
    seq.decodeCachedTokens = 0
    this.sendToPrefill(seq)
  }
}
