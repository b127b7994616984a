import {ConfigError} from '../common/errors.js'
import {truncateArray} from '../common/truncate-array.js'
import type {CostModel, IterationWork} from '../cost/types.js'
import {EventKind, type EventHandler, type EventKindValue, type SimEvent} from '../kernel/event-queue.js'
import type {Simulator} from '../kernel/simulator.js'
import {DecodeSet} from './decode-set.js'
import {DecodeStretch} from './decode-stretch.js'
import {KvBlockPool} from './kv-cache.js'
import {PrefixCache} from './prefix-cache.js'
import {SeqQueue} from './seq-queue.js'
import type {Sequence} from './sequence.js'

/**
 * How a replica mixes prefill and decode work in an iteration:
 * - `prefill-first`: when a waiting prompt fits, run a prefill-only iteration of as
 *   many whole prompts as fit in the token budget (decodes pause); otherwise decode
 *   (vLLM's original scheduler).
 * - `decode-first`: admit new prompts only when the running batch has drained; favours
 *   TPOT over TTFT.
 * - `chunked`: every iteration decodes the whole batch and fills the rest of the token
 *   budget with prompt chunks (Sarathi-Serve, vLLM v1's default).
 */
export type SchedulerPolicy = 'prefill-first' | 'decode-first' | 'chunked'
export const schedulerPolicies: readonly SchedulerPolicy[] = ['prefill-first', 'decode-first', 'chunked']

/** `full` does prefill and decode; `prefill` and `decode` are the two pools of a disaggregated backend. */
export type ReplicaMode = 'full' | 'prefill' | 'decode'

export interface SchedulerConfig {
  policy: SchedulerPolicy
  /** Sequences in the running batch (prefilling plus decoding), vLLM's max_num_seqs. */
  maxBatchSize: number
  /** Tokens per iteration (decode tokens plus prompt chunks), vLLM's max_num_batched_tokens. */
  maxBatchedTokens: number
  /** KV-cache block size in tokens. */
  blockTokens: number
  /** Fraction of KV blocks kept free when admitting, so running sequences can grow. */
  watermarkFraction: number
  prefixCaching: boolean
  /** Static KV layout: one block of this many tokens per sequence, no shared prefixes (engine-behaviour.ts). */
  staticKvSlotTokens?: number
}

/**
 * Receives inter-token gaps. All sequences decoding on a replica share its step times,
 * so gaps are reported once per iteration or stretch with the number of tokens that saw
 * them (not once per sequence): the work stays O(1) per event however large the batch.
 */
export interface ItlSink {
  recordItl(gapUs: number, count: number): void
}

/** What a replica tells the backend that owns it. */
export interface ReplicaListener {
  /** A sequence produced its last token (modes `full` and `decode`). */
  onComplete(seq: Sequence, replica: BatchingReplica, nowUs: number): void
  /** A sequence cannot be served by this replica. */
  onFail(seq: Sequence, replica: BatchingReplica, reason: string, detail: string): void
  /** Mode `prefill`: the prompt is prefilled and its KV is held until `releaseHeld`. */
  onPrefillDone(seq: Sequence, replica: BatchingReplica, nowUs: number): void
  /** Mode `decode`: KV blocks are reserved for a sequence that asked with `reserve`. */
  onKvReserved(seq: Sequence, replica: BatchingReplica, nowUs: number): void
  /** Mode `decode`: a sequence lost its KV (preempted) and must be prefilled again. */
  onPreempted(seq: Sequence, replica: BatchingReplica, nowUs: number): void
}

const idle = 0
const wakeScheduled = 1
const inIteration = 2
const inStretch = 3

/**
 * One model replica under iteration-level continuous batching: a waiting queue, KV
 * admission by blocks, preemption by recompute (newest first) when the cache runs out,
 * a bounded prefix cache, and decode stretches advanced in closed form between events.
 */
export class BatchingReplica implements EventHandler {
  readonly pool: KvBlockPool
  readonly cache: PrefixCache | null
  private readonly waiting = new SeqQueue()
  private readonly kvWaiting = new SeqQueue()
  private prefilling: Sequence[] = []
  private readonly joining: Sequence[] = []
  /** Sequences that joined the decode set since the last decode step. */
  private readonly fresh: Sequence[] = []
  /** Scratch list of finishIteration: the prompts that finished in the iteration. */
  private readonly prefillsDone: Sequence[] = []
  /** End of the last iteration that advanced every decoding sequence by one or more tokens. */
  private lastAdvanceUs = 0
  readonly decode: DecodeSet
  private runHead: Sequence | null = null
  private runTail: Sequence | null = null
  private runCount = 0
  private readonly stretch = new DecodeStretch()
  private readonly work: IterationWork = {
    prefillTokens: 0,
    prefillContextTokenProducts: 0,
    prefillSequences: 0,
    decodeSequences: 0,
    decodeContextTokens: 0,
  }
  private readonly found = {tokens: 0, entries: 0, unpinnedBlocks: 0}
  private state = idle
  private event: SimEvent | null = null
  /** The last event that ran, kept for reuse. */
  private spareEvent: SimEvent | null = null
  private stretchStartUs = 0
  private stretchSteps = 0
  private iterationHasDecodes = false
  /** The last sequence given a prompt chunk in the iteration being planned. */
  private lastChunkSeq: Sequence | null = null
  /**
   * Where `load` and `queuedTokens` live: slot `loadSlot` of arrays the router shares
   * among a pool's replicas (see useLoadSlots), so that its scan for the least loaded
   * replica reads two small typed arrays rather than a field of each replica object.
   */
  private loads: Int32Array = new Int32Array(1)
  private queued: Float64Array = new Float64Array(1)
  private loadSlot = 0
  /** Tokens of a static KV slot (0: paged KV cache). */
  private readonly slotTokens: number
  /** Counters for reports and tests. */
  iterations = 0
  stretches = 0
  preemptionCount = 0

  constructor(
    readonly index: number,
    private readonly sim: Simulator,
    readonly cost: CostModel,
    private readonly config: SchedulerConfig,
    readonly mode: ReplicaMode,
    private readonly listener: ReplicaListener,
    private readonly itl: ItlSink,
  ) {
    // A static layout is a paged one whose page is the whole slot, shared by nothing.
    const slotTokens = config.staticKvSlotTokens ?? 0
    this.slotTokens = slotTokens
    const blockTokens = slotTokens > 0 ? slotTokens : config.blockTokens
    const totalBlocks = Math.floor(cost.kvCapacityTokens / blockTokens)
    if (!(totalBlocks >= 1)) {
      throw new ConfigError(
        `${cost.deployment.model} on ${cost.deployment.hardware}: no room for the KV cache after the weights (${cost.kvCapacityTokens} tokens of capacity)`,
      )
    }
    this.pool = new KvBlockPool(totalBlocks, blockTokens, Math.floor(totalBlocks * config.watermarkFraction))
    this.cache = config.prefixCaching && slotTokens === 0 ? new PrefixCache(this.pool) : null
    this.decode = new DecodeSet(blockTokens)
  }

  /**
   * Sequences assigned to the replica and not gone yet (waiting, reserved or in
   * transfer, joining, running), for routing. A counter, not a sum: the router reads it
   * for every replica on every arrival.
   */
  get load(): number {
    return this.loads[this.loadSlot]!
  }

  set load(value: number) {
    this.loads[this.loadSlot] = value
  }

  /** Prompt tokens still to prefill: waiting prompts plus what admitted ones have left (for routing). */
  get queuedTokens(): number {
    return this.queued[this.loadSlot]!
  }

  set queuedTokens(value: number) {
    this.queued[this.loadSlot] = value
  }

  /** Moves `load` and `queuedTokens` into slot `slot` of a pool's shared arrays (the router's). */
  useLoadSlots(loads: Int32Array, queued: Float64Array, slot: number): void {
    loads[slot] = this.load
    queued[slot] = this.queuedTokens
    this.loads = loads
    this.queued = queued
    this.loadSlot = slot
  }

  get queueDepth(): number {
    return this.waiting.length + this.kvWaiting.length
  }

  get batchSize(): number {
    return this.runCount
  }

  // ---------------------------------------------------------------- live serving

  /**
   * Output tokens `seq` has produced on this replica by `timeUs` (not before the last
   * event handled), counting the steps of a closed-form decode stretch in progress that
   * have ended by then. A replay needs only the events; live serving streams each token
   * at the time it leaves, including those inside a stretch.
   */
  tokensProducedBy(seq: Sequence, timeUs: number): number {
    if (seq.phase !== 2) return seq.generated
    return Math.min(seq.outputTokens, seq.generated + (this.decode.G - seq.gJoin) + this.stretchStepsEndedBy(timeUs))
  }

  /** End of the next decode step of the stretch in progress after `timeUs` (Infinity when none). */
  nextStepEndAfter(timeUs: number): number {
    if (this.state !== inStretch) return Number.POSITIVE_INFINITY
    const next = this.stretchStepsEndedBy(timeUs) + 1
    return next > this.stretchSteps ? Number.POSITIVE_INFINITY : this.stretchStartUs + this.stretch.timeOf(next)
  }

  private stretchStepsEndedBy(timeUs: number): number {
    if (this.state !== inStretch) return 0
    const elapsed = timeUs - this.stretchStartUs
    if (elapsed < this.stretch.t0) return 0
    let steps = this.stretch.stepsToCover(elapsed)
    if (this.stretch.timeOf(steps) > elapsed) steps--
    return Math.min(steps, this.stretchSteps)
  }

  /** Modes `full` and `prefill`: a new request joins the waiting queue. */
  enqueue(seq: Sequence): void {
    const tokens = this.mode === 'full' ? seq.inputTokens + seq.outputTokens : seq.promptTokens
    if (this.refuseOversized(seq, tokens)) return
    const wasEmpty = this.waiting.length === 0
    seq.phase = 0
    this.load++
    this.waiting.push(seq)
    this.queuedTokens += seq.promptTokens
    if (this.state === idle) this.scheduleWake()
    else if (this.state === inStretch && wasEmpty && this.config.policy !== 'decode-first' && this.runCount < this.config.maxBatchSize) {
      this.interruptStretch()
    }
  }

  /**
   * Mode `decode`: reserve KV blocks for a prefilled sequence before its transfer.
   * Calls `onKvReserved` now if the blocks are free, later (FIFO) otherwise.
   */
  reserve(seq: Sequence): void {
    if (this.refuseOversized(seq, seq.inputTokens + seq.outputTokens)) return
    seq.phase = 0
    this.load++
    if (this.kvWaiting.length === 0 && this.tryReserve(seq, this.state === inStretch ? this.stretchSteps : 0)) return
    this.kvWaiting.push(seq)
  }

  /** Mode `decode`: the KV will not arrive (its transfer timed out): free the blocks reserved for it. */
  cancelReservation(seq: Sequence): void {
    this.pool.seqBlocks -= seq.ownBlocks
    this.cache?.unpinAll(seq.pinned)
    seq.pinned = null
    seq.ownBlocks = 0
    this.load--
    if (this.state === idle && this.kvWaiting.length > 0) this.scheduleWake()
  }

  /** Mode `decode`: the sequence's KV has arrived; it joins the batch at the next iteration. */
  join(seq: Sequence): void {
    this.joining.push(seq)
    if (this.state === idle) this.scheduleWake()
    else if (this.state === inStretch) this.interruptStretch()
  }

  /** Mode `prefill`: the transfer landed, free the KV held for it. */
  releaseHeld(seq: Sequence): void {
    this.pool.seqBlocks -= seq.heldBlocks
    seq.heldBlocks = 0
    if (this.cache !== null) {
      // The prompt stays cached on the prefill side for the session's next turn.
      this.cache.donateSession(seq, seq.promptTokens)
      this.cache.unpinAll(seq.heldPinned)
    }
    seq.heldPinned = null
    if (this.state === idle && this.waiting.length > 0) this.scheduleWake()
  }

  handleEvent(event: SimEvent): void {
    if (event !== this.event) return
    this.event = null
    this.spareEvent = event
    const now = this.sim.nowUs
    if (this.state === inIteration) this.finishIteration(now)
    else if (this.state === inStretch) this.finishStretch(now)
    this.state = idle
    this.plan(now)
  }

  // ---------------------------------------------------------------- planning

  private plan(now: number): void {
    if (this.mode === 'decode') {
      for (const seq of this.joining) this.admitJoining(seq)
      truncateArray(this.joining)
    }
    if (this.decode.count > 0) this.ensureGrowth()
    if (this.mode === 'decode') this.drainKvWaiting()

    const config = this.config
    const decoders = this.decode.count
    let withDecodes = false
    this.work.prefillTokens = 0
    this.work.prefillContextTokenProducts = 0
    this.work.prefillSequences = 0
    if (this.mode !== 'decode') {
      if (config.policy === 'chunked') {
        withDecodes = decoders > 0
        this.schedulePrefillChunks(now, config.maxBatchedTokens - decoders, true)
      } else if (config.policy === 'prefill-first' || decoders === 0) {
        this.schedulePrefillChunks(now, config.maxBatchedTokens, false)
      }
    }
    const prefillSequences = this.work.prefillSequences ?? 0
    if (prefillSequences > 0) {
      this.startIteration(now, withDecodes)
    } else if (decoders > 0) {
      this.startStretch(now)
    }
  }

  /**
   * Picks the prompt work of the next iteration: continues the prompts already being
   * prefilled, then admits waiting ones while the token budget and the KV cache allow.
   * With `chunked` a prompt may be split; otherwise prompts run whole (the first one
   * even if it alone exceeds the budget).
   */
  private schedulePrefillChunks(now: number, budget: number, chunked: boolean): void {
    const work = this.work
    work.prefillTokens = 0
    work.prefillContextTokenProducts = 0
    work.prefillSequences = 0
    let left = budget
    for (const seq of this.prefilling) {
      if (left <= 0 && chunked) break
      const remaining = seq.promptTokens - seq.prefilledTokens
      const chunk = chunked ? Math.min(remaining, left) : remaining
      this.addChunk(seq, chunk)
      left -= chunk
    }
    const growth = this.decode.count > 0 ? this.decode.blocksNeeded(1) : 0
    while (this.waiting.length > 0 && this.runCount < this.config.maxBatchSize) {
      const seq = this.waiting.peek()!
      if (chunked ? left <= 0 : work.prefillSequences > 0 && seq.promptTokens - this.prefixEstimate(seq) > left) break
      if (!this.tryAdmit(seq, now, growth)) break
      this.waiting.shift()
      const remaining = seq.promptTokens - seq.prefilledTokens
      const chunk = chunked ? Math.min(remaining, left) : remaining
      this.addChunk(seq, chunk)
      left -= chunk
    }
  }

  private prefixEstimate(seq: Sequence): number {
    if (this.cache === null) return 0
    this.cache.lookup(seq, this.found)
    return Math.min(this.found.tokens, seq.promptTokens - 1)
  }

  private addChunk(seq: Sequence, chunk: number): void {
    seq.chunkTokens = chunk
    if (chunk <= 0) return
    this.lastChunkSeq = seq
    const work = this.work
    work.prefillTokens += chunk
    work.prefillContextTokenProducts! += chunk * seq.prefilledTokens
    work.prefillSequences!++
  }

  /** Admits a waiting sequence if its KV fits: prefix-cache hit, then own blocks. */
  private tryAdmit(seq: Sequence, now: number, reservedBlocks: number): boolean {
    const pool = this.pool
    const found = this.found
    let matched = 0
    if (this.cache !== null) {
      this.cache.lookup(seq, found)
      matched = Math.min(found.tokens, seq.promptTokens - 1)
    } else {
      found.entries = 0
      found.unpinnedBlocks = 0
    }
    let own = seq.promptTokens - matched
    let need = pool.blocksFor(own)
    const watermark = this.runCount === 0 ? 0 : pool.watermarkBlocks
    if (need > pool.reclaimableBlocks - found.unpinnedBlocks - reservedBlocks - watermark) {
      // Alone on the replica, a request always fits without its cached prefix (block
      // rounding of shared entries must not leave it waiting forever).
      if (this.runCount > 0 || matched === 0 || pool.blocksFor(seq.promptTokens) > pool.reclaimableBlocks - reservedBlocks) return false
      matched = 0
      found.entries = 0
      own = seq.promptTokens
      need = pool.blocksFor(own)
    }
    this.takeBlocks(seq, matched, own, need)
    seq.prefilledTokens = matched
    this.queuedTokens -= matched
    if (seq.startUs < 0) {
      seq.startUs = now
      seq.cachedTokens = matched
    }
    seq.prefillStartUs = now
    seq.phase = 1
    this.prefilling.push(seq)
    this.runAppend(seq)
    return true
  }

  /** Pins the matched prefix-cache entries, evicts to make room and charges the sequence's own blocks. */
  private takeBlocks(seq: Sequence, matched: number, own: number, need: number): void {
    if (this.cache !== null) {
      seq.pinned = this.cache.pin(seq, this.found.entries)
      this.cache.ensureFree(need)
    }
    this.pool.seqBlocks += need
    seq.prefixTokens = matched
    seq.ownTokens = own
    seq.ownBlocks = need
  }

  /** Mode `decode`: reserve blocks for the KV about to arrive (less what the decode side has cached). */
  private tryReserve(seq: Sequence, growthSteps: number): boolean {
    const pool = this.pool
    const found = this.found
    const context = seq.inputTokens + seq.generated - 1
    let matched = 0
    if (this.cache !== null) {
      this.cache.lookup(seq, found)
      matched = Math.min(found.tokens, context - 1)
      if (matched < 0) matched = 0
    } else {
      found.entries = 0
      found.unpinnedBlocks = 0
    }
    const own = context - matched
    const need = pool.blocksFor(own)
    const growth = this.decode.count > 0 ? this.decode.blocksNeeded(Math.max(1, growthSteps)) : 0
    const watermark = this.runCount === 0 ? 0 : pool.watermarkBlocks
    if (need > pool.reclaimableBlocks - found.unpinnedBlocks - growth - watermark) return false
    this.takeBlocks(seq, matched, own, need)
    seq.decodeCachedTokens = matched
    seq.phase = 5
    this.listener.onKvReserved(seq, this, this.sim.nowUs)
    return true
  }

  private drainKvWaiting(): void {
    while (this.kvWaiting.length > 0) {
      const seq = this.kvWaiting.peek()!
      if (!this.tryReserve(seq, 1)) break
      this.kvWaiting.shift()
    }
  }

  private admitJoining(seq: Sequence): void {
    if (this.cache !== null) this.donatePrompt(seq)
    this.joinDecode(seq)
    this.runAppend(seq)
  }

  private joinDecode(seq: Sequence): void {
    this.decode.add(seq)
    seq.fresh = true
    this.fresh.push(seq)
  }

  /**
   * Reports the gaps of a decode advance: the first step ends at `firstEndUs`; each
   * sequence's first gap runs from its previous token (the last advance, or its own
   * first token if it just joined); the other n - 1 steps average `restMeanUs`.
   */
  private recordAdvance(firstEndUs: number, steps: number, restMeanUs: number, endUs: number): void {
    const itl = this.itl
    let regular = this.decode.count
    for (const seq of this.fresh) {
      if (!seq.fresh) continue
      seq.fresh = false
      itl.recordItl(firstEndUs - seq.lastTokenUs, 1)
      regular--
    }
    truncateArray(this.fresh)
    if (regular > 0) itl.recordItl(firstEndUs - this.lastAdvanceUs, regular)
    if (steps > 1) itl.recordItl(restMeanUs, this.decode.count * (steps - 1))
    this.lastAdvanceUs = endUs
  }

  /** Preempts the newest running sequences until the decoders' next step fits. */
  private ensureGrowth(): void {
    while (this.decode.count > 0 && this.decode.blocksNeeded(1) > this.pool.reclaimableBlocks) {
      this.preempt(this.runTail!)
    }
  }

  private preempt(seq: Sequence): void {
    const now = this.sim.nowUs
    let blocks: number
    if (seq.phase === 1) this.queuedTokens -= seq.promptTokens - seq.prefilledTokens
    if (seq.phase === 2) {
      if (!seq.fresh) seq.lastTokenUs = this.lastAdvanceUs
      seq.fresh = false
      blocks = this.decode.remove(seq)
    } else {
      blocks = seq.ownBlocks
      this.prefilling = this.prefilling.filter((s) => s !== seq)
    }
    this.pool.seqBlocks -= blocks
    this.cache?.unpinAll(seq.pinned)
    seq.pinned = null
    seq.prefixTokens = 0
    seq.ownTokens = 0
    seq.ownBlocks = 0
    seq.chunkTokens = 0
    this.runRemove(seq)
    seq.preemptions++
    this.preemptionCount++
    seq.phase = 0
    if (this.mode === 'decode') {
      this.load--
      this.listener.onPreempted(seq, this, now)
      return
    }
    // Recompute: the prompt is now the input plus everything generated so far.
    seq.promptTokens = seq.inputTokens + seq.generated
    seq.prefilledTokens = 0
    this.waiting.unshift(seq)
    this.queuedTokens += seq.promptTokens
  }

  // ---------------------------------------------------------------- iterations

  private startIteration(now: number, withDecodes: boolean): void {
    const work = this.work
    const cost = this.cost
    let ms: number
    if (withDecodes) {
      work.decodeSequences = this.decode.count
      work.decodeContextTokens = this.decode.totalContextTokens
      ms = cost.iterationMs(work)
    } else if (work.prefillSequences === 1) {
      // One prompt alone: exactly the cost model's prefill prediction.
      const seq = this.lastChunkSeq!
      ms = cost.prefillMs(seq.chunkTokens, seq.prefilledTokens)
    } else {
      work.decodeSequences = 0
      work.decodeContextTokens = 0
      ms = cost.iterationMs(work)
    }
    this.iterationHasDecodes = withDecodes
    this.state = inIteration
    this.iterations++
    this.event = this.scheduleOwn(now + ms * 1000, EventKind.iterationEnd)
  }

  private finishIteration(now: number): void {
    const decode = this.decode
    if (this.iterationHasDecodes) {
      this.recordAdvance(now, 1, 0, now)
      this.pool.seqBlocks += decode.blocksNeeded(1)
      decode.G += 1
    }
    const done = this.prefillsDone
    let kept = 0
    const prefilling = this.prefilling
    for (let i = 0; i < prefilling.length; i++) {
      const seq = prefilling[i]!
      seq.prefilledTokens += seq.chunkTokens
      this.queuedTokens -= seq.chunkTokens
      seq.chunkTokens = 0
      if (seq.prefilledTokens >= seq.promptTokens) done.push(seq)
      else prefilling[kept++] = seq
    }
    truncateArray(prefilling, kept)
    this.completeFinished(now)
    for (const seq of done) this.finishPrefill(seq, now)
    truncateArray(done)
    this.settleCache()
  }

  private finishPrefill(seq: Sequence, now: number): void {
    seq.generated += 1
    if (this.cache !== null) this.donatePrompt(seq)
    if (this.mode === 'prefill') {
      this.runRemove(seq)
      this.load--
      seq.phase = 3
      seq.heldBlocks = seq.ownBlocks
      seq.heldPinned = seq.pinned
      seq.ownBlocks = 0
      seq.pinned = null
      this.listener.onPrefillDone(seq, this, now)
      return
    }
    if (seq.firstTokenUs < 0) seq.firstTokenUs = now
    else this.itl.recordItl(now - seq.lastTokenUs, 1)
    seq.lastTokenUs = now
    if (seq.generated >= seq.outputTokens) {
      this.finish(seq, seq.ownBlocks, now)
      return
    }
    this.joinDecode(seq)
  }

  /** Prompt hash blocks just computed (or received) become shared cache entries. */
  private donatePrompt(seq: Sequence): void {
    const moved = this.cache!.donateHashBlocks(seq)
    if (moved === 0) return
    seq.prefixTokens += moved
    seq.ownTokens -= moved
    const blocks = this.pool.blocksFor(seq.ownTokens)
    this.pool.seqBlocks += blocks - seq.ownBlocks
    seq.ownBlocks = blocks
  }

  private startStretch(now: number): void {
    const decode = this.decode
    const limit = Math.min(decode.stepsToNextFinish, decode.maxStepsWithin(this.pool.reclaimableBlocks, decode.stepsToNextFinish))
    const steps = this.stretch.fit(this.cost, decode.count, decode.totalContextTokens, Math.max(1, limit))
    this.stretchStartUs = now
    this.stretchSteps = steps
    this.state = inStretch
    this.stretches++
    this.event = this.scheduleOwn(now + this.stretch.timeOf(steps), EventKind.iterationEnd)
  }

  /** Ends the stretch at the first step boundary at or after now (new work is waiting). */
  private interruptStretch(): void {
    const steps = this.stretch.stepsToCover(this.sim.nowUs - this.stretchStartUs)
    if (steps >= this.stretchSteps) return
    this.stretchSteps = steps
    this.sim.reschedule(this.event!, this.stretchStartUs + this.stretch.timeOf(steps))
  }

  private finishStretch(now: number): void {
    const n = this.stretchSteps
    const decode = this.decode
    const stretch = this.stretch
    const firstEnd = this.stretchStartUs + stretch.t0
    this.recordAdvance(firstEnd, n, n > 1 ? (stretch.timeOf(n) - stretch.t0) / (n - 1) : 0, now)
    this.pool.seqBlocks += decode.blocksNeeded(n)
    decode.G += n
    this.completeFinished(now)
    this.settleCache()
  }

  private completeFinished(now: number): void {
    for (;;) {
      const seq = this.decode.peekFinished()
      if (seq === undefined) return
      const blocks = this.decode.remove(seq)
      this.finish(seq, blocks, now)
    }
  }

  private finish(seq: Sequence, ownBlocks: number, now: number): void {
    this.runRemove(seq)
    this.load--
    if (this.cache !== null) {
      this.cache.donateSession(seq, seq.inputTokens + seq.generated - 1)
      this.cache.unpinAll(seq.pinned)
    }
    this.pool.seqBlocks -= ownBlocks
    seq.pinned = null
    seq.ownBlocks = 0
    seq.phase = 4
    this.listener.onComplete(seq, this, now)
  }

  /** Growth or new session entries may overcommit by a rounding block: evict cached prefixes. */
  private settleCache(): void {
    if (this.cache !== null && this.pool.freeBlocks < 0) this.cache.ensureFree(0)
  }

  /** The replica has at most one pending event: reuse the object of the last one. */
  private scheduleOwn(timeUs: number, kind: EventKindValue): SimEvent {
    const spare = this.spareEvent
    if (spare === null) return this.sim.schedule(timeUs, kind, this)
    this.spareEvent = null
    return this.sim.scheduleAgain(spare, timeUs, kind)
  }

  private scheduleWake(): void {
    this.state = wakeScheduled
    this.event = this.scheduleOwn(this.sim.nowUs, EventKind.wake)
  }

  // ---------------------------------------------------------------- running list

  private runAppend(seq: Sequence): void {
    seq.prev = this.runTail
    seq.next = null
    if (this.runTail === null) this.runHead = seq
    else this.runTail.next = seq
    this.runTail = seq
    this.runCount++
  }

  private runRemove(seq: Sequence): void {
    if (seq.prev === null) this.runHead = seq.next
    else seq.prev.next = seq.next
    if (seq.next === null) this.runTail = seq.prev
    else seq.next.prev = seq.prev
    seq.prev = null
    seq.next = null
    this.runCount--
  }

  /** Fails a sequence that can never fit: larger than the replica's KV cache, or than a static slot. */
  private refuseOversized(seq: Sequence, tokens: number): boolean {
    if (this.slotTokens > 0 && tokens > this.slotTokens) {
      this.listener.onFail(seq, this, 'exceeds-kv-slot', `needs ${tokens} tokens of KV cache; a static slot of replica ${this.index} holds ${this.slotTokens}`)
      return true
    }
    if (this.pool.blocksFor(tokens) <= this.pool.totalBlocks) return false
    this.listener.onFail(seq, this, 'exceeds-kv-capacity', this.capacityDetail(tokens))
    return true
  }

  private capacityDetail(tokens: number): string {
    return `needs ${tokens} tokens of KV cache; replica ${this.index} (${this.cost.deployment.model} on ${this.cost.deployment.hardware}) holds ${this.pool.totalBlocks * this.pool.blockTokens}`
  }
}
