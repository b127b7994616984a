/**
 * KV-cache memory of one replica, counted in fixed-size blocks (vLLM's paged
 * attention). Three kinds of use: blocks owned by running sequences, prefix-cache
 * blocks pinned by running sequences, and prefix-cache blocks nobody uses right now
 * (evictable: the prefix cache gives them back on demand, least recently used first).
 */
export class KvBlockPool {
  /** Blocks owned by sequences (prompt, generated tokens) and not shared. */
  seqBlocks = 0
  /** All prefix-cache blocks, pinned or not. */
  cacheBlocks = 0
  /** Prefix-cache blocks in use by at least one running sequence. */
  pinnedCacheBlocks = 0

  constructor(
    readonly totalBlocks: number,
    readonly blockTokens: number,
    /** Blocks kept free at admission so running sequences can grow (vLLM's watermark). */
    readonly watermarkBlocks: number,
  ) {}

  blocksFor(tokens: number): number {
    return tokens <= 0 ? 0 : Math.ceil(tokens / this.blockTokens)
  }

  /** Blocks nobody holds. */
  get freeBlocks(): number {
    return this.totalBlocks - this.seqBlocks - this.cacheBlocks
  }

  /** Free blocks plus evictable prefix-cache blocks. */
  get reclaimableBlocks(): number {
    return this.totalBlocks - this.seqBlocks - this.pinnedCacheBlocks
  }

  /** Fraction of blocks in use by running sequences (owned plus pinned shared prefixes). */
  get usage(): number {
    return this.totalBlocks === 0 ? 0 : Math.min(1, (this.seqBlocks + this.pinnedCacheBlocks) / this.totalBlocks)
  }
}
