/**
 * Prefix-cache block ids for prompts that arrive as text: the prompt's token ids cut
 * into blocks of `blockTokens`, each block named by a hash of every token up to its end
 * (chained, as vLLM's automatic prefix caching names its blocks). Two prompts share
 * their first k ids exactly when they share their first k blocks of tokens (barring a
 * 53-bit hash collision), which is what the simulated prefix cache and prefix-aware
 * routing need. Hashes are mapped to small integers (the routing tables are dense);
 * past `maxIds` the table starts afresh with new ids, so memory stays bounded and an
 * id is never reused for another prefix.
 */
export class PrefixBlockIds {
  private readonly ids = new Map<number, number>()
  private nextId = 0

  constructor(
    readonly blockTokens: number,
    private readonly maxIds = 1 << 20,
  ) {
    if (!(Number.isSafeInteger(blockTokens) && blockTokens >= 1)) throw new RangeError(`blockTokens must be a positive integer, got ${blockTokens}`)
  }

  /** Ids of the prompt's full blocks, in order. */
  idsOf(tokens: readonly number[]): number[] {
    const out: number[] = []
    const full = Math.floor(tokens.length / this.blockTokens)
    if (full === 0) return out
    if (this.ids.size + full > this.maxIds) this.ids.clear()
    // Two independent 32-bit FNV-1a style lanes over the token ids, never reset between
    // blocks: block k's key depends on its whole prefix.
    let a = 0x811c9dc5
    let b = 0x3243f6a9
    let pos = 0
    for (let block = 0; block < full; block++) {
      for (const end = pos + this.blockTokens; pos < end; pos++) {
        const token = tokens[pos]!
        a = Math.imul(a ^ token, 0x01000193)
        b = Math.imul(b ^ token ^ (b >>> 15), 0x2c1b3c6d)
      }
      const key = (a >>> 0) * 2 ** 21 + ((b >>> 11) & 0x1fffff)
      let id = this.ids.get(key)
      if (id === undefined) {
        id = this.nextId++
        this.ids.set(key, id)
      }
      out.push(id)
    }
    return out
  }
}
