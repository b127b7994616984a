/** Ids below this go into a bitset (at most 32 MiB); larger ones into a Set. */
const bitsetLimit = 1 << 28

/**
 * Counts prefix-block references and how many repeat an id seen earlier in the trace:
 * the hit fraction of an infinite prefix cache processing requests in file order (the
 * definition the shared traces README uses: 36.6% for Mooncake conversation).
 */
export class PrefixReuseCounter {
  references = 0
  repeated = 0
  distinct = 0
  private bits = new Uint32Array(1 << 12)
  private readonly large = new Set<number>()

  add(hashIds: readonly number[]): void {
    this.references += hashIds.length
    for (const id of hashIds) {
      if (this.markSeen(id)) this.repeated++
      else this.distinct++
    }
  }

  /** Marks `id` and says whether it had been seen before. */
  private markSeen(id: number): boolean {
    if (id >= bitsetLimit) {
      if (this.large.has(id)) return true
      this.large.add(id)
      return false
    }
    const word = id >>> 5
    if (word >= this.bits.length) {
      let size = this.bits.length * 2
      while (size <= word) size *= 2
      const grown = new Uint32Array(size)
      grown.set(this.bits)
      this.bits = grown
    }
    const mask = 1 << (id & 31)
    const current = this.bits[word] as number
    if ((current & mask) !== 0) return true
    this.bits[word] = current | mask
    return false
  }
}
