import {truncateArray} from '../common/truncate-array.js'
import type {KvBlockPool} from './kv-cache.js'
import type {Sequence} from './sequence.js'

/**
 * A shared prompt prefix kept in KV memory: one hash block of a trace (Mooncake
 * `hash_ids`, 512 tokens each) or the whole context of a session's last turn.
 */
export class CacheEntry {
  refs = 0
  prev: CacheEntry | null = null
  next: CacheEntry | null = null
  constructor(
    /** Mutable only so that an evicted entry can be recycled for another key. */
    public key: number | string,
    public tokens: number,
    public blocks: number,
  ) {}
}

/**
 * Hash-block id -> entry, open addressing with linear probing and backward-shift
 * deletion. A replica's cache inserts and evicts a block entry for nearly every block
 * of every prompt it computes; a Map under that churn keeps rebuilding its backing
 * store (tombstones fill it, then it rehashes into a fresh one), which was the largest
 * source of garbage in a replay. This table never allocates once it has grown to the
 * cache's high-water mark (bounded by the replica's KV blocks). Only get/set/delete are
 * needed: nothing iterates the entries, so no order is lost against the Map.
 * Exported for its tests.
 */
export class HashBlockTable {
  private keys = new Float64Array(64)
  private slots: (CacheEntry | null)[] = new Array<CacheEntry | null>(64).fill(null)
  private mask = 63
  size = 0

  get(id: number): CacheEntry | undefined {
    const keys = this.keys
    const slots = this.slots
    const mask = this.mask
    for (let i = slotOf(id) & mask; ; i = (i + 1) & mask) {
      const entry = slots[i] as CacheEntry | null
      if (entry === null) return undefined
      if (keys[i] === id) return entry
    }
  }

  /** Adds an entry whose (numeric) key is not in the table. */
  add(entry: CacheEntry): void {
    if ((this.size + 1) * 2 > this.slots.length) this.grow()
    this.place(entry)
    this.size++
  }

  delete(entry: CacheEntry): void {
    const keys = this.keys
    const slots = this.slots
    const mask = this.mask
    let i = slotOf(entry.key as number) & mask
    while (slots[i] !== entry) i = (i + 1) & mask
    // Backward-shift: pull later members of the probe run into the hole, so lookups
    // never need tombstones.
    for (let j = (i + 1) & mask; slots[j] !== null; j = (j + 1) & mask) {
      const home = slotOf(keys[j]!) & mask
      // Move j into the hole i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        slots[i] = slots[j]!
        keys[i] = keys[j]!
        i = j
      }
    }
    slots[i] = null
    this.size--
  }

  private place(entry: CacheEntry): void {
    const mask = this.mask
    const slots = this.slots
    const key = entry.key as number
    let i = slotOf(key) & mask
    while (slots[i] !== null) i = (i + 1) & mask
    slots[i] = entry
    this.keys[i] = key
  }

  private grow(): void {
    const old = this.slots
    const capacity = old.length * 2
    this.keys = new Float64Array(capacity)
    this.slots = new Array<CacheEntry | null>(capacity).fill(null)
    this.mask = capacity - 1
    for (const entry of old) if (entry !== null) this.place(entry)
  }
}

/** Mixes both 32-bit halves of a non-negative integer id (ids can exceed 2^32). */
function slotOf(id: number): number {
  const h = Math.imul((id | 0) ^ Math.imul((id / 4294967296) | 0, 0x85ebca6b), 0x9e3779b1)
  return h ^ (h >>> 15)
}

/**
 * Prefix cache of one replica, living in the replica's KV blocks (as in vLLM's
 * automatic prefix caching): entries used by running sequences are pinned; the others
 * stay cached in otherwise free memory and are evicted, least recently used first,
 * when a sequence needs the blocks. Capacity is therefore bounded by the KV memory
 * (HBM, or SRAM on a CS-3) and shrinks as load grows.
 *
 * Two kinds of prefixes: chained hash blocks (sharing block k implies sharing the
 * whole prefix up to k) and session prefixes (a turn's prompt starts with the previous
 * turn's prompt and answer), for traces with sessions but no hash ids.
 */
export class PrefixCache {
  /** Bounded by the replica's KV memory (entries live in its blocks). */
  private readonly hashEntries = new HashBlockTable()
  private readonly sessionEntries = new Map<string, CacheEntry>()
  /**
   * Evicted entries, reused: a replay donates and evicts an entry for most blocks of
   * most prompts, and recycling them instead of leaving them to the garbage collector
   * keeps allocation (the collector's work) low.
   */
  private readonly spareEntries: CacheEntry[] = []
  /** Emptied pin lists (see unpinAll), reused: a sequence pins a list of entries per admission. */
  private readonly spareLists: CacheEntry[][] = []
  /** Unpinned entries, least recently used at the head. */
  private lruHead: CacheEntry | null = null
  private lruTail: CacheEntry | null = null

  constructor(private readonly pool: KvBlockPool) {}

  get entryCount(): number {
    return this.hashEntries.size + this.sessionEntries.size
  }

  /**
   * Tokens of the sequence's prompt found in the cache and the evictable blocks those
   * entries hold (they stop being evictable once pinned). Read-only.
   */
  lookup(seq: Sequence, out: {tokens: number; entries: number; unpinnedBlocks: number}): void {
    out.tokens = 0
    out.entries = 0
    out.unpinnedBlocks = 0
    const ids = seq.hashIds
    if (ids !== undefined && ids.length > 0) {
      const full = Math.min(ids.length, Math.floor(seq.inputTokens / seq.hashBlockSize))
      for (let i = 0; i < full; i++) {
        const entry = this.hashEntries.get(ids[i]!)
        if (entry === undefined) break
        out.entries++
        out.tokens += entry.tokens
        if (entry.refs === 0) out.unpinnedBlocks += entry.blocks
      }
    } else if (seq.sessionId !== undefined) {
      const entry = this.sessionEntries.get(seq.sessionId)
      // A prompt shorter than the cached context cannot extend it (the client dropped or
      // summarized history): no hit.
      if (entry !== undefined && entry.tokens <= seq.promptTokens) {
        out.entries = 1
        out.tokens = entry.tokens
        if (entry.refs === 0) out.unpinnedBlocks = entry.blocks
      }
    }
  }

  /** Pins the first `entries` matched entries for the sequence (after a successful lookup). */
  pin(seq: Sequence, entries: number): CacheEntry[] | null {
    if (entries === 0) return null
    const pinned = this.spareLists.pop() ?? []
    const ids = seq.hashIds
    if (ids !== undefined && ids.length > 0) {
      for (let i = 0; i < entries; i++) pinned.push(this.pinEntry(this.hashEntries.get(ids[i]!)!))
    } else {
      pinned.push(this.pinEntry(this.sessionEntries.get(seq.sessionId!)!))
    }
    return pinned
  }

  /** Unpins a list from `pin` or `donateHashBlocks` and takes the list back for reuse: the caller drops it. */
  unpinAll(entries: CacheEntry[] | null): void {
    if (entries === null) return
    for (const entry of entries) this.unpinEntry(entry)
    truncateArray(entries)
    this.spareLists.push(entries)
  }

  /**
   * After a prefill: the prompt's full hash blocks that were computed (not matched)
   * become cache entries pinned by the sequence; their tokens move from the sequence's
   * own blocks to the cache. Returns the tokens moved.
   */
  donateHashBlocks(seq: Sequence): number {
    const ids = seq.hashIds
    if (ids === undefined || ids.length === 0) return 0
    const bs = seq.hashBlockSize
    const full = Math.min(ids.length, Math.floor(seq.inputTokens / bs))
    const already = seq.pinned === null ? 0 : seq.pinned.length
    if (already >= full) return 0
    const pinned = seq.pinned ?? this.spareLists.pop() ?? []
    const blocks = this.pool.blocksFor(bs)
    let moved = 0
    for (let i = already; i < full; i++) {
      const id = ids[i]!
      let entry = this.hashEntries.get(id)
      if (entry === undefined) {
        entry = this.newEntry(id, bs, blocks)
        this.hashEntries.add(entry)
        this.pool.cacheBlocks += blocks
        entry.refs = 1
        this.pool.pinnedCacheBlocks += blocks
      } else {
        this.pinEntry(entry)
      }
      pinned.push(entry)
      moved += bs
    }
    seq.pinned = pinned
    return moved
  }

  /**
   * When a session turn ends: its whole context (prompt and answer) becomes the
   * session's cached prefix, replacing the previous one, so the next turn only
   * prefills what is new. `ownTokens` are the sequence's own tokens that move into the
   * entry (their blocks are released by the caller). Skipped for hash-id traces (the
   * hash blocks already cover the prefix) and when another turn of the session holds it.
   */
  donateSession(seq: Sequence, contextTokens: number): void {
    const sessionId = seq.sessionId
    if (sessionId === undefined || (seq.hashIds !== undefined && seq.hashIds.length > 0)) return
    const existing = this.sessionEntries.get(sessionId)
    const mine = existing !== undefined && seq.pinned !== null && seq.pinned.includes(existing) ? 1 : 0
    if (existing !== undefined && existing.refs > mine) return
    const blocks = this.pool.blocksFor(contextTokens)
    if (existing !== undefined) {
      if (existing.refs === 0) this.lruRemove(existing)
      else this.pool.pinnedCacheBlocks -= existing.blocks
      this.pool.cacheBlocks += blocks - existing.blocks
      existing.tokens = contextTokens
      existing.blocks = blocks
      existing.refs = 0
      this.lruAppend(existing)
      if (seq.pinned !== null) seq.pinned = seq.pinned.filter((e) => e !== existing)
      return
    }
    const entry = this.newEntry(sessionId, contextTokens, blocks)
    this.sessionEntries.set(sessionId, entry)
    this.pool.cacheBlocks += blocks
    this.lruAppend(entry)
  }

  /** Evicts unpinned entries until `blocks` are free (or nothing is left to evict). */
  ensureFree(blocks: number): void {
    while (this.pool.freeBlocks < blocks && this.lruHead !== null) this.evict(this.lruHead)
  }

  private evict(entry: CacheEntry): void {
    this.lruRemove(entry)
    this.pool.cacheBlocks -= entry.blocks
    if (typeof entry.key === 'number') this.hashEntries.delete(entry)
    else this.sessionEntries.delete(entry.key)
    this.spareEntries.push(entry)
  }

  private newEntry(key: number | string, tokens: number, blocks: number): CacheEntry {
    const entry = this.spareEntries.pop()
    if (entry === undefined) return new CacheEntry(key, tokens, blocks)
    // Evicted entries are unpinned and unlinked (refs 0, prev and next null).
    entry.key = key
    entry.tokens = tokens
    entry.blocks = blocks
    return entry
  }

  private pinEntry(entry: CacheEntry): CacheEntry {
    if (entry.refs === 0) {
      this.lruRemove(entry)
      this.pool.pinnedCacheBlocks += entry.blocks
    }
    entry.refs++
    return entry
  }

  private unpinEntry(entry: CacheEntry): void {
    entry.refs--
    if (entry.refs === 0) {
      this.pool.pinnedCacheBlocks -= entry.blocks
      this.lruAppend(entry)
    }
  }

  private lruAppend(entry: CacheEntry): void {
    entry.prev = this.lruTail
    entry.next = null
    if (this.lruTail === null) this.lruHead = entry
    else this.lruTail.next = entry
    this.lruTail = entry
  }

  private lruRemove(entry: CacheEntry): void {
    if (entry.prev === null) this.lruHead = entry.next
    else entry.prev.next = entry.next
    if (entry.next === null) this.lruTail = entry.prev
    else entry.next.prev = entry.prev
    entry.prev = null
    entry.next = null
  }
}
