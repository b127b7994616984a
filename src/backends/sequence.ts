import type {CacheEntry} from './prefix-cache.js'

/**
 * One request as it moves through a simulated backend. A single mutable object per
 * request (no per-token or per-step allocations): the replay layer creates it when the
 * request is released, backends move it between queues, and the host turns it into a
 * RequestOutcome when it completes.
 *
 * Token accounting: `generated` output tokens exist; the prompt being prefilled is the
 * input plus any tokens generated before a preemption (recompute). The KV cache of a
 * decoding sequence holds `input + generated - 1` tokens (the newest token's KV is
 * written by the next decode step); `prefixTokens` of them live in shared prefix-cache
 * entries and the rest (`ownTokens`) in the sequence's own blocks.
 */
export class Sequence {
  // -- request (from the trace); set by `reset` only --
  declare index: number
  /** Scheduled arrival (rate-scaled) or closed-loop release time, virtual microseconds. */
  declare arrivalUs: number
  declare inputTokens: number
  declare outputTokens: number
  declare sessionId: string | undefined
  declare turn: number | undefined
  declare hashIds: readonly number[] | undefined
  /** Tokens per hash block (512 for Mooncake). */
  declare hashBlockSize: number

  // -- lifecycle --
  /** First admission to a batch (prefill starts); -1 until then. */
  declare startUs: number
  declare firstTokenUs: number
  /** Last token delivered; kept up to date only while the replica cannot derive it (see continuous-batching.ts). */
  declare lastTokenUs: number
  /** Output tokens produced so far. */
  declare generated: number
  declare preemptions: number
  /** Prompt tokens served from a prefix cache at the (last) admission. */
  declare cachedTokens: number
  /** Link time of the KV transfer (disaggregated backends). */
  declare kvTransferUs: number

  // -- prefill state on the replica that holds the sequence --
  /** Tokens to prefill at this admission (input, or input + generated after a preemption). */
  declare promptTokens: number
  /** Tokens of `promptTokens` already in the KV cache (cached prefix plus finished chunks). */
  declare prefilledTokens: number
  declare prefillStartUs: number
  declare prefillEndUs: number
  /** Prefill tokens scheduled for this sequence in the iteration in progress. */
  declare chunkTokens: number

  // -- KV ownership on the replica that holds the sequence --
  declare prefixTokens: number
  declare ownTokens: number
  /** Own blocks while prefilling or held (decoders' blocks are derived from the decode set). */
  declare ownBlocks: number
  declare pinned: CacheEntry[] | null

  // -- decode set membership (see decode-set.ts) --
  declare gJoin: number
  declare ownJoin: number
  declare contextJoin: number
  declare finishG: number
  declare heapIndex: number
  declare residueKey: number
  /** Joined the decode set since the replica's last decode step (its next gap is its own). */
  declare fresh: boolean

  // -- running list (admission order, for LIFO preemption) --
  declare prev: Sequence | null
  declare next: Sequence | null
  /** 0 waiting, 1 prefilling, 2 decoding, 3 held after prefill (disaggregated), 4 done, 5 KV reserved on the decode side (in transfer or joining). */
  declare phase: number

  // -- disaggregation: KV held on the prefill side until the transfer lands --
  declare heldBlocks: number
  declare heldPinned: CacheEntry[] | null
  declare heldReplica: number
  /** Replica indices in the backend's pools (-1 when not placed). */
  declare replica: number
  declare decodeReplica: number
  /** Tokens of the prompt the decode side already had cached (not transferred). */
  declare decodeCachedTokens: number
  declare transferStartUs: number

  constructor(
    index: number,
    arrivalUs: number,
    inputTokens: number,
    outputTokens: number,
    sessionId: string | undefined,
    turn: number | undefined,
    hashIds: readonly number[] | undefined,
    hashBlockSize: number,
  ) {
    this.reset(index, arrivalUs, inputTokens, outputTokens, sessionId, turn, hashIds, hashBlockSize)
  }

  /**
   * Makes the object a new request: every field is set here, in one place, so that a
   * sequence taken from a SequencePool is indistinguishable from a new one (a test
   * checks it field by field). A new field must be added here.
   */
  reset(
    index: number,
    arrivalUs: number,
    inputTokens: number,
    outputTokens: number,
    sessionId: string | undefined,
    turn: number | undefined,
    hashIds: readonly number[] | undefined,
    hashBlockSize: number,
  ): void {
    this.index = index
    this.arrivalUs = arrivalUs
    this.inputTokens = inputTokens
    this.outputTokens = outputTokens
    this.sessionId = sessionId
    this.turn = turn
    this.hashIds = hashIds
    this.hashBlockSize = hashBlockSize
    this.startUs = -1
    this.firstTokenUs = -1
    this.lastTokenUs = -1
    this.generated = 0
    this.preemptions = 0
    this.cachedTokens = 0
    this.kvTransferUs = 0
    this.promptTokens = inputTokens
    this.prefilledTokens = 0
    this.prefillStartUs = -1
    this.prefillEndUs = -1
    this.chunkTokens = 0
    this.prefixTokens = 0
    this.ownTokens = 0
    this.ownBlocks = 0
    this.pinned = null
    this.gJoin = 0
    this.ownJoin = 0
    this.contextJoin = 0
    this.finishG = 0
    this.heapIndex = -1
    this.residueKey = 0
    this.fresh = false
    this.prev = null
    this.next = null
    this.phase = 0
    this.heldBlocks = 0
    this.heldPinned = null
    this.heldReplica = -1
    this.replica = -1
    this.decodeReplica = -1
    this.decodeCachedTokens = 0
    this.transferStartUs = -1
  }

  /** Tokens in the KV cache once the current prompt is prefilled (and while decoding, at join). */
  get contextTokens(): number {
    return this.inputTokens + this.generated - 1
  }
}

/**
 * Finished sequences kept for the next requests of the same replay: a Sequence is the
 * largest object a replay makes per request, and most live long enough to be copied by
 * the garbage collector before they die. Only sequences that completed without being
 * preempted come back: nothing refers to those after completion (a preempted one may be
 * left in a replica's list of sequences that joined since the last decode step).
 */
export class SequencePool {
  private readonly free: Sequence[] = []

  take(
    index: number,
    arrivalUs: number,
    inputTokens: number,
    outputTokens: number,
    sessionId: string | undefined,
    turn: number | undefined,
    hashIds: readonly number[] | undefined,
    hashBlockSize: number,
  ): Sequence {
    const seq = this.free.pop()
    if (seq === undefined) return new Sequence(index, arrivalUs, inputTokens, outputTokens, sessionId, turn, hashIds, hashBlockSize)
    seq.reset(index, arrivalUs, inputTokens, outputTokens, sessionId, turn, hashIds, hashBlockSize)
    return seq
  }

  /** A sequence that completed (its outcome recorded); ignored if it was ever preempted. */
  giveBack(seq: Sequence): void {
    if (seq.preemptions === 0 && this.free.length < 4096) this.free.push(seq)
  }
}
