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
    readonly key: number | string,
    public tokens: number,
    public blocks: number,
  ) {}
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
  /** Bounded by the replica's KV memory (entries live in its blocks), so a Map stays small. */
  private readonly hashEntries = new Map<number, CacheEntry>()
  private readonly sessionEntries = new Map<string, CacheEntry>()
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
    const pinned: CacheEntry[] = []
    const ids = seq.hashIds
    if (ids !== undefined && ids.length > 0) {
      for (let i = 0; i < entries; i++) pinned.push(this.pinEntry(this.hashEntries.get(ids[i]!)!))
    } else {
      pinned.push(this.pinEntry(this.sessionEntries.get(seq.sessionId!)!))
    }
    return pinned
  }

  unpinAll(entries: CacheEntry[] | null): void {
    if (entries === null) return
    for (const entry of entries) this.unpinEntry(entry)
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
    const pinned = seq.pinned ?? []
    const blocks = this.pool.blocksFor(bs)
    let moved = 0
    for (let i = already; i < full; i++) {
      const id = ids[i]!
      let entry = this.hashEntries.get(id)
      if (entry === undefined) {
        entry = new CacheEntry(id, bs, blocks)
        this.hashEntries.set(id, entry)
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
    const entry = new CacheEntry(sessionId, contextTokens, blocks)
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
    if (typeof entry.key === 'number') this.hashEntries.delete(entry.key)
    else this.sessionEntries.delete(entry.key)
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
