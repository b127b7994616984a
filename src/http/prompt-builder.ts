import {TracebenchError} from '../common/errors.js'
import {createRng, type SeededRandom} from '../common/seeded-random.js'
import type {Tokenizer} from './tokenizer.js'

export interface PromptBuilderOptions {
  /** Mixed into every text (the replay seed): another salt gives other texts, so a rerun can start with a cold prefix cache. */
  salt?: number
  /** How many single-token words to draw from (default 1,024: common words, single tokens in most modern vocabularies). */
  vocabularyWords?: number
  /** Hash blocks kept ready (least recently used first out). */
  maxCachedBlocks?: number
}

const textDomain = 1
const blockDomain = 2
const fillDomain = 3
/** Lowercase words of 3 to 10 letters with a leading space: each is one token in BPE vocabularies with a GPT-style or Metaspace pre-tokenizer. */
const wordPattern = /^ [a-z]{3,10}$/
const probeWords = 4096

/**
 * Prompt text of an exact number of tokens. Texts are sequences of words that are each
 * one token and that the tokenizer's pre-tokenizer splits at their leading space, so N
 * words are N tokens and a prefix of k words is a prefix of k tokens. Those words are
 * found in the tokenizer's own vocabulary (lowest ids first: the earliest BPE merges,
 * the most common words), and the property is checked on a long probe. For a tokenizer
 * that fails the check, every text is measured and trimmed or extended until it fits.
 */
export class PromptBuilder {
  readonly words: readonly string[]
  /** Whether N words are always N tokens (checked); otherwise texts are fitted by measuring. */
  readonly exact: boolean
  private readonly salt: number
  private readonly blocks = new Map<string, string>()
  private readonly maxCachedBlocks: number

  constructor(
    readonly tokenizer: Tokenizer,
    options: PromptBuilderOptions = {},
  ) {
    this.salt = Math.trunc(options.salt ?? 0)
    this.maxCachedBlocks = options.maxCachedBlocks ?? 2048
    this.words = findSingleTokenWords(tokenizer, options.vocabularyWords ?? 1024)
    const rng = createRng(0x5eed)
    let probe = ''
    for (let i = 0; i < probeWords; i++) probe += this.draw(rng)
    this.exact = tokenizer.countTokens(probe) === probeWords
  }

  /** Text of exactly `tokens` tokens for `key` (e.g. a request index); the same key gives the same text. */
  text(tokens: number, key: number): string {
    return this.fit(this.randomWords(tokens, this.rngFor(textDomain, key)), tokens, key)
  }

  /** The text of hash block `id`: `blockSize` tokens, always the same for the same id (and salt). */
  hashBlock(id: number, blockSize: number): string {
    const cacheKey = `${blockSize}:${id}`
    let block = this.blocks.get(cacheKey)
    if (block !== undefined) {
      this.blocks.delete(cacheKey)
    } else {
      block = this.randomWords(blockSize, this.rngFor(blockDomain, id))
      if (this.blocks.size >= this.maxCachedBlocks) this.blocks.delete(this.blocks.keys().next().value!)
    }
    this.blocks.set(cacheKey, block)
    return block
  }

  /**
   * A prompt of exactly `tokens` tokens made of the blocks of `hashIds` in order (so two
   * prompts that share leading ids share that text prefix), the last block cut short, or
   * extended with text for `fillKey` when the ids cover fewer tokens.
   */
  hashPrompt(hashIds: readonly number[], blockSize: number, tokens: number, fillKey: number): string {
    const parts: string[] = []
    let words = 0
    for (const id of hashIds) {
      if (words >= tokens) break
      const take = Math.min(blockSize, tokens - words)
      const block = this.hashBlock(id, blockSize)
      parts.push(take === blockSize ? block : firstWords(block, take))
      words += take
    }
    if (words < tokens) parts.push(this.randomWords(tokens - words, this.rngFor(fillDomain, fillKey)))
    return this.fit(parts.join(''), tokens, fillKey)
  }

  /** For tokenizers that fail the probe: trims or extends `text` until it counts `tokens` (at most a few rounds). */
  private fit(text: string, tokens: number, key: number): string {
    if (this.exact) return text
    const rng = this.rngFor(fillDomain, key)
    let fitted = text
    for (let round = 0; round < 8; round++) {
      const count = this.tokenizer.countTokens(fitted)
      if (count === tokens) return fitted
      if (count > tokens) fitted = firstWords(fitted, Math.max(0, countWords(fitted) - (count - tokens)))
      else fitted += this.randomWords(tokens - count, rng)
    }
    return fitted
  }

  private randomWords(count: number, rng: SeededRandom): string {
    const parts = new Array<string>(count)
    for (let i = 0; i < count; i++) parts[i] = this.draw(rng)
    return parts.join('')
  }

  private draw(rng: SeededRandom): string {
    return this.words[Math.floor(rng.next() * this.words.length)]!
  }

  /** A stream per (domain, key): distinct keys of one domain get distinct streams. */
  private rngFor(domain: number, key: number): SeededRandom {
    return createRng(((key >>> 0) ^ (this.salt >>> 0)) + (domain + 4 * Math.floor(this.salt / 2 ** 32)) * 2 ** 32)
  }
}

/** Words that are one token each, from the vocabulary's lowest ids up. */
function findSingleTokenWords(tokenizer: Tokenizer, wanted: number): string[] {
  const words: string[] = []
  const seen = new Set<string>()
  let misses = 0
  // Past the vocabulary's end, decoding throws (gpt-tokenizer) or gives '' (tokenizers.js).
  for (let id = 0; words.length < wanted && misses < 10_000 && id < 1 << 22; id++) {
    let text = ''
    try {
      text = tokenizer.decode([id])
    } catch {
      // counted below
    }
    if (text === '') {
      misses++
      continue
    }
    misses = 0
    // Metaspace (SentencePiece) vocabularies decode a lone "▁word" without its space.
    const word = wordPattern.test(text) ? text : wordPattern.test(` ${text}`) ? ` ${text}` : undefined
    if (word === undefined || seen.has(word) || tokenizer.encode(word).length !== 1) continue
    seen.add(word)
    words.push(word)
  }
  if (words.length < 64) {
    throw new TracebenchError(
      `tokenizer ${tokenizer.name}: found only ${words.length} single-token lowercase words in its vocabulary (need at least 64 to build prompts); is it a BPE or SentencePiece tokenizer?`,
    )
  }
  return words
}

/** The first `count` words of a text whose words each start with a space. */
export function firstWords(text: string, count: number): string {
  if (count <= 0) return ''
  let pos = 0
  for (let i = 0; i < count; i++) {
    pos = text.indexOf(' ', pos + 1)
    if (pos < 0) return text
  }
  return text.slice(0, pos)
}

function countWords(text: string): number {
  let count = 0
  for (let pos = text.indexOf(' '); pos >= 0; pos = text.indexOf(' ', pos + 1)) count++
  return count
}
