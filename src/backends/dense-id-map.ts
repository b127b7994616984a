/** Ids below this go to the flat array (Mooncake and the synthesizer number hash blocks densely from 0). */
const denseIdLimit = 1 << 22

/**
 * A map keyed by prefix hash ids, for prefix-aware routing: one per pool, looked up and
 * updated for every block of every request and holding every block id ever routed, so a
 * Map of hundreds of thousands of entries was dominated by hashing and cache misses.
 * Small non-negative integer ids index a flat array; other ids fall back to a Map, in
 * insertion order. (The per-replica prefix caches keep a Map: they hold only what fits in
 * a replica's KV memory, and a flat array sized by the whole id space per replica cost
 * more memory and time than it saved.)
 */
export class DenseIdMap<V> {
  private readonly dense: (V | undefined)[] = []
  private denseCount = 0
  private readonly sparse = new Map<number, V>()

  get size(): number {
    return this.denseCount + this.sparse.size
  }

  /** Entries outside the flat array, for callers that bound them. */
  get sparseSize(): number {
    return this.sparse.size
  }

  get(id: number): V | undefined {
    return isDenseId(id) ? this.dense[id] : this.sparse.get(id)
  }

  set(id: number, value: V): void {
    if (isDenseId(id)) {
      // Fill holes so the array stays packed (holey arrays deoptimize element access).
      while (this.dense.length < id) this.dense.push(undefined)
      if (this.dense[id] === undefined) this.denseCount++
      this.dense[id] = value
      return
    }
    this.sparse.set(id, value)
  }

  delete(id: number): void {
    if (isDenseId(id)) {
      if (this.dense[id] !== undefined) {
        this.dense[id] = undefined
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
}

function isDenseId(id: number): boolean {
  return id >= 0 && id < denseIdLimit && (id | 0) === id
}
