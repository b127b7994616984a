import type {Sequence} from './sequence.js'

/**
 * The sequences a replica is decoding. Every decode step (or mixed iteration) advances
 * all of them by one token, so their state is kept relative to a shared step counter G:
 * a sequence that joined at step gJoin with c tokens of context has c + (G - gJoin)
 * now. Aggregates (total context, next completion, blocks needed for the next n steps)
 * then cost O(1) or O(block size), never O(batch x steps): the basis of advancing many
 * decode steps in closed form.
 */
export class DecodeSet {
  /** Decode steps executed so far on this replica. */
  G = 0
  private contextBase = 0
  /** Min-heap on finishG (the step at which a sequence has produced all its tokens). */
  readonly members: Sequence[] = []
  /** Count of members per residue key: (own KV tokens - G) mod blockTokens at join. */
  private readonly residues: Int32Array

  constructor(readonly blockTokens: number) {
    this.residues = new Int32Array(blockTokens)
  }

  get count(): number {
    return this.members.length
  }

  /** Sum of the members' context lengths now (for the cost model's decode step). */
  get totalContextTokens(): number {
    return this.contextBase + this.members.length * this.G
  }

  /** Steps until the next member finishes (Infinity when empty). */
  get stepsToNextFinish(): number {
    const top = this.members[0]
    return top === undefined ? Number.POSITIVE_INFINITY : top.finishG - this.G
  }

  add(seq: Sequence): void {
    const G = this.G
    seq.gJoin = G
    seq.contextJoin = seq.contextTokens
    seq.ownJoin = seq.ownTokens
    seq.finishG = G + (seq.outputTokens - seq.generated)
    const bt = this.blockTokens
    seq.residueKey = (((seq.ownJoin - G) % bt) + bt) % bt
    this.residues[seq.residueKey]!++
    this.contextBase += seq.contextJoin - G
    seq.phase = 2
    this.heapPush(seq)
  }

  /**
   * Removes a member and brings its counters up to date (generated tokens, own KV
   * tokens). Returns the own blocks it held, so the caller can free them.
   */
  remove(seq: Sequence): number {
    const steps = this.G - seq.gJoin
    seq.generated += steps
    seq.ownTokens = seq.ownJoin + steps
    this.residues[seq.residueKey]!--
    this.contextBase -= seq.contextJoin - seq.gJoin
    this.heapRemove(seq)
    return Math.ceil(seq.ownTokens / this.blockTokens)
  }

  /** The member that finishes first, if it has finished by now. */
  peekFinished(): Sequence | undefined {
    const top = this.members[0]
    return top !== undefined && top.finishG <= this.G ? top : undefined
  }

  /** Own KV tokens of a member now. */
  ownTokensNow(seq: Sequence): number {
    return seq.ownJoin + (this.G - seq.gJoin)
  }

  /**
   * New blocks the members need to take `n` more steps. A member whose own tokens are
   * m mod B (block size B) needs ceil((m + n) / B) - ceil(m / B) new blocks; with
   * n = qB + r that is q, plus one when m = 0 < r or m > B - r. Only r residues are
   * visited, so the common n = 1 costs O(1).
   */
  blocksNeeded(n: number): number {
    if (n <= 0) return 0
    const bt = this.blockTokens
    const count = this.members.length
    if (bt === 1) return count * n
    const q = Math.floor(n / bt)
    const r = n - q * bt
    let total = count * q
    if (r === 0 || count === 0) return total
    const residues = this.residues
    // The member's residue now is (key + G) mod B, so residue m lives at key (m - G) mod B.
    const shift = bt - (this.G % bt)
    total += residues[shift % bt]!
    for (let m = bt - r + 1; m < bt; m++) total += residues[(m + shift) % bt]!
    return total
  }

  /** The most steps (at most `limit`) whose block growth fits in `freeBlocks`. */
  maxStepsWithin(freeBlocks: number, limit: number): number {
    if (this.blocksNeeded(limit) <= freeBlocks) return limit
    let lo = 0
    let hi = limit
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2)
      if (this.blocksNeeded(mid) <= freeBlocks) lo = mid
      else hi = mid
    }
    return lo
  }

  private heapPush(seq: Sequence): void {
    const heap = this.members
    heap.push(seq)
    this.siftUp(heap.length - 1)
  }

  private heapRemove(seq: Sequence): void {
    const heap = this.members
    const i = seq.heapIndex
    const last = heap.pop()!
    seq.heapIndex = -1
    if (last === seq) return
    heap[i] = last
    last.heapIndex = i
    this.siftUp(i)
    this.siftDown(last.heapIndex)
  }

  private less(a: Sequence, b: Sequence): boolean {
    return a.finishG < b.finishG || (a.finishG === b.finishG && a.index < b.index)
  }

  private siftUp(i: number): void {
    const heap = this.members
    const item = heap[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent]!
      if (!this.less(item, p)) break
      heap[i] = p
      p.heapIndex = i
      i = parent
    }
    heap[i] = item
    item.heapIndex = i
  }

  private siftDown(i: number): void {
    const heap = this.members
    const n = heap.length
    const item = heap[i]!
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      let child = left
      if (right < n && this.less(heap[right]!, heap[left]!)) child = right
      const c = heap[child]!
      if (!this.less(c, item)) break
      heap[i] = c
      c.heapIndex = i
      i = child
    }
    heap[i] = item
    item.heapIndex = i
  }
}
