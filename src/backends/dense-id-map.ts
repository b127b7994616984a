/** Ids below this go to the flat array (Mooncake and the synthesizer number hash blocks densely from 0). */
const denseIdLimit = 1 << 22

/**
 * A map from prefix hash ids to small non-negative integers (replica indices), for
 * prefix-aware routing: one per pool, looked up and updated for every block of every
 * request and holding every block id ever routed, so a Map of hundreds of thousands of
 * entries was dominated by hashing and cache misses. Small non-negative integer ids index
 * a flat Int32Array (-1 = absent), grown by doubling: 4 bytes a slot, where a JS array
 * grown one push at a time took 8 and reallocated far more often (GC pressure). Other ids
 * fall back to a Map, in insertion order. (The per-replica prefix caches keep their own table: they
 * hold only what fits in a replica's KV memory, and a flat array sized by the whole id
 * space per replica cost more memory and time than it saved.)
 */
export class DenseIdMap {
  private dense = new Int32Array(0)
  private denseCount = 0
  private readonly sparse = new Map<number, number>()

  get size(): number {
    return this.denseCount + this.sparse.size
  }

  /** Entries outside the flat array, for callers that bound them. */
  get sparseSize(): number {
    return this.sparse.size
  }

  get(id: number): number | undefined {
    if (!isDenseId(id)) return this.sparse.get(id)
    const value = id < this.dense.length ? this.dense[id]! : -1
    return value < 0 ? undefined : value
  }

  /** `value` must be a non-negative 32-bit integer. */
  set(id: number, value: number): void {
    if (isDenseId(id)) {
      if (id >= this.dense.length) this.grow(id)
      if (this.dense[id]! < 0) this.denseCount++
      this.dense[id] = value
      return
    }
    this.sparse.set(id, value)
  }

  delete(id: number): void {
    if (isDenseId(id)) {
      if (id < this.dense.length && this.dense[id]! >= 0) {
        this.dense[id] = -1
        this.denseCount--
      }
      return
    }
    this.sparse.delete(id)
  }

  /** Forgets the oldest inserted id outside the flat array. */
  deleteOldestSparse(): void {
    const oldest = this.sparse.keys().next()
    if (oldest.done !== true) this.sparse.delete(oldest.value)
  }

  /** Grows the flat array to the next power of two above `id` (at least 1,024 slots). */
  private grow(id: number): void {
    let capacity = Math.max(1024, this.dense.length)
    while (capacity <= id) capacity *= 2
    const next = new Int32Array(capacity).fill(-1)
    next.set(this.dense)
    this.dense = next
  }
}

function isDenseId(id: number): boolean {
  return id >= 0 && id < denseIdLimit && (id | 0) === id
}
