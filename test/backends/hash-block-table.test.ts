import {describe, expect, it} from 'vitest'
import {CacheEntry, HashBlockTable} from '../../src/backends/prefix-cache.js'
import {createRng} from '../../src/common/seeded-random.js'

describe('HashBlockTable', () => {
  it('agrees with a Map under seeded insert/delete churn, with colliding and large ids', () => {
    const rng = createRng(7)
    const table = new HashBlockTable()
    const reference = new Map<number, CacheEntry>()
    // Small dense ids, multiples of the table sizes (same home slot) and ids above 2^32.
    const pool = [...Array.from({length: 300}, (_, i) => i), ...Array.from({length: 100}, (_, i) => i * 1024), ...Array.from({length: 100}, (_, i) => 2 ** 33 + i * 2 ** 32)]
    for (let step = 0; step < 50_000; step++) {
      const id = pool[Math.floor(rng.next() * pool.length)]!
      const existing = reference.get(id)
      expect(table.get(id)).toBe(existing)
      if (existing === undefined) {
        const entry = new CacheEntry(id, 512, 1)
        table.add(entry)
        reference.set(id, entry)
      } else if (rng.next() < 0.6) {
        table.delete(existing)
        reference.delete(id)
      }
      expect(table.size).toBe(reference.size)
    }
    for (const id of pool) expect(table.get(id)).toBe(reference.get(id))
  })
})
