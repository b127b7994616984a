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
  // -- request (from the trace) --
  readonly index: number
  /** Scheduled arrival (rate-scaled) or closed-loop release time, virtual microseconds. */
  readonly arrivalUs: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly sessionId: string | undefined
  readonly turn: number | undefined
  readonly hashIds: readonly number[] | undefined
  /** Tokens per hash block (512 for Mooncake). */
  readonly hashBlockSize: number

  // -- lifecycle --
  /** First admission to a batch (prefill starts); -1 until then. */
  startUs = -1
  firstTokenUs = -1
  /** Last token delivered; kept up to date only while the replica cannot derive it (see continuous-batching.ts). */
  lastTokenUs = -1
  /** Output tokens produced so far. */
  generated = 0
  preemptions = 0
  /** Prompt tokens served from a prefix cache at the (last) admission. */
  cachedTokens = 0
  /** Link time of the KV transfer (disaggregated backends). */
  kvTransferUs = 0

  // -- prefill state on the replica that holds the sequence --
  /** Tokens to prefill at this admission (input, or input + generated after a preemption). */
  promptTokens: number
  /** Tokens of `promptTokens` already in the KV cache (cached prefix plus finished chunks). */
  prefilledTokens = 0
  prefillStartUs = -1
  prefillEndUs = -1
  /** Prefill tokens scheduled for this sequence in the iteration in progress. */
  chunkTokens = 0

  // -- KV ownership on the replica that holds the sequence --
  prefixTokens = 0
  ownTokens = 0
  /** Own blocks while prefilling or held (decoders' blocks are derived from the decode set). */
  ownBlocks = 0
  pinned: CacheEntry[] | null = null

  // -- decode set membership (see decode-set.ts) --
  gJoin = 0
  ownJoin = 0
  contextJoin = 0
  finishG = 0
  heapIndex = -1
  residueKey = 0
  /** Joined the decode set since the replica's last decode step (its next gap is its own). */
  fresh = false

  // -- running list (admission order, for LIFO preemption) --
  prev: Sequence | null = null
  next: Sequence | null = null
  /** 0 waiting, 1 prefilling, 2 decoding, 3 held after prefill (disaggregated), 4 done, 5 KV reserved on the decode side (in transfer or joining). */
  phase = 0

  // -- disaggregation: KV held on the prefill side until the transfer lands --
  heldBlocks = 0
  heldPinned: CacheEntry[] | null = null
  heldReplica: number = -1
  /** Replica indices in the backend's pools (-1 when not placed). */
  replica = -1
  decodeReplica = -1
  /** Tokens of the prompt the decode side already had cached (not transferred). */
  decodeCachedTokens = 0
  transferStartUs = -1

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
    this.index = index
    this.arrivalUs = arrivalUs
    this.inputTokens = inputTokens
    this.outputTokens = outputTokens
    this.sessionId = sessionId
    this.turn = turn
    this.hashIds = hashIds
    this.hashBlockSize = hashBlockSize
    this.promptTokens = inputTokens
  }

  /** Tokens in the KV cache once the current prompt is prefilled (and while decoding, at join). */
  get contextTokens(): number {
    return this.inputTokens + this.generated - 1
  }
}
