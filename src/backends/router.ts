import type {SeededRandom} from '../common/seeded-random.js'
import type {RoutingPolicy} from './backend-config.js'
import type {BatchingReplica} from './continuous-batching.js'
import {DenseIdMap} from './dense-id-map.js'
import type {Sequence} from './sequence.js'

/** Sessions remembered for affinity; the least recently used are forgotten beyond this. */
const maxRememberedSessions = 100_000
/** Prefix blocks with ids outside DenseIdMap's flat array remembered for routing (oldest forgotten first). */
const maxRememberedSparseBlocks = 1_000_000

/**
 * Picks the replica of a pool for a request. `least-loaded` takes the replica with the
 * fewest sequences (then the least queued prompt work, then the lowest index);
 * `prefix-aware` sends a request with prefix hash ids to the replica its longest known
 * prefix was last routed to (where it is probably cached, as Mooncake's KV-centric
 * scheduler does) when the prefill it saves there covers the extra prefill work queued
 * there and that replica has at most `maxImbalance` sequences more than the least
 * loaded one; otherwise to the least loaded; `round-robin` cycles; `random` draws from the run's seeded
 * generator. With session affinity a session's turns go back to the replica that served
 * its previous turn, where its prefix is cached.
 */
export class ReplicaRouter {
  private next = 0
  private readonly sessions = new Map<string, number>()
  /** Prefix hash id -> replica the last request with that block was routed to. */
  private readonly blockOwners = new DenseIdMap()
  /** Every replica's load and queued prompt tokens, by replica index (the replicas keep them here). */
  private readonly loads: Int32Array
  private readonly queued: Float64Array

  constructor(
    private readonly replicas: readonly BatchingReplica[],
    private readonly policy: RoutingPolicy,
    private readonly sessionAffinity: boolean,
    private readonly rng: SeededRandom,
    private readonly maxImbalance = 4,
  ) {
    this.loads = new Int32Array(replicas.length)
    this.queued = new Float64Array(replicas.length)
    replicas.forEach((replica, i) => replica.useLoadSlots(this.loads, this.queued, i))
  }

  pick(seq: Sequence): number {
    const sessionId = seq.sessionId
    if (this.sessionAffinity && sessionId !== undefined) {
      const known = this.sessions.get(sessionId)
      if (known !== undefined) {
        this.sessions.delete(sessionId)
        this.sessions.set(sessionId, known)
        return known
      }
      const chosen = this.chooseFor(seq)
      this.sessions.set(sessionId, chosen)
      if (this.sessions.size > maxRememberedSessions) this.sessions.delete(this.sessions.keys().next().value!)
      return chosen
    }
    return this.chooseFor(seq)
  }

  private chooseFor(seq: Sequence): number {
    const ids = seq.hashIds
    if (this.policy !== 'prefix-aware' || ids === undefined || ids.length === 0 || this.replicas.length === 1) return this.choose()
    const full = Math.min(ids.length, Math.floor(seq.inputTokens / seq.hashBlockSize))
    const owners = this.blockOwners
    let preferred = -1
    let matchedTokens = 0
    // Chained ids: the deepest known block names the replica with the longest prefix.
    for (let i = full - 1; i >= 0; i--) {
      const owner = owners.get(ids[i]!)
      if (owner !== undefined) {
        preferred = owner
        matchedTokens = (i + 1) * seq.hashBlockSize
        break
      }
    }
    const least = this.choose()
    let chosen = least
    if (preferred >= 0 && preferred !== least) {
      // Follow the prefix when the prefill work it saves covers the extra work queued
      // there, and the replica is not far busier than the least loaded one.
      const p = this.replicas[preferred]!
      const l = this.replicas[least]!
      if (p.load <= l.load + this.maxImbalance && p.queuedTokens - matchedTokens <= l.queuedTokens) chosen = preferred
    }
    for (let i = 0; i < full; i++) owners.set(ids[i]!, chosen)
    while (owners.sparseSize > maxRememberedSparseBlocks) owners.deleteOldestSparse()
    return chosen
  }

  private choose(): number {
    const replicas = this.replicas
    const n = replicas.length
    if (n === 1) return 0
    switch (this.policy) {
      case 'round-robin': {
        const chosen = this.next
        this.next = (this.next + 1) % n
        return chosen
      }
      case 'random':
        return Math.min(n - 1, Math.floor(this.rng.next() * n))
      default: {
        // least-loaded (and the fallback of prefix-aware). Load and queued tokens are
        // never negative, so the first idle replica (nothing assigned, nothing queued) is
        // the least loaded one with the lowest index: the scan stops there, which at
        // moderate load is a few replicas into a pool of dozens.
        const loads = this.loads
        const queued = this.queued
        let best = 0
        let bestLoad = loads[0]!
        let bestQueued = queued[0]!
        if (bestLoad === 0 && bestQueued === 0) return 0
        for (let i = 1; i < n; i++) {
          const load = loads[i]!
          if (load < bestLoad || (load === bestLoad && queued[i]! < bestQueued)) {
            best = i
            bestLoad = load
            bestQueued = queued[i]!
            if (load === 0 && bestQueued === 0) break
          }
        }
        return best
      }
    }
  }
}

