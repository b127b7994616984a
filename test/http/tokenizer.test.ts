import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {firstWords, PromptBuilder} from '../../src/http/prompt-builder.js'
import {defaultTokenizerName, loadTokenizer} from '../../src/http/tokenizer.js'
import {tinyWords, writeTinyTokenizer} from './tiny-tokenizer.js'

describe('default tokenizer', () => {
  const tokenizer = loadTokenizer()

  it('is the bundled o200k_base and round-trips text', () => {
    expect(tokenizer.name).toBe(defaultTokenizerName)
    const ids = tokenizer.encode('Hello, world! The quick brown fox.')
    expect(ids.length).toBeGreaterThan(5)
    expect(tokenizer.decode(ids)).toBe('Hello, world! The quick brown fox.')
    expect(tokenizer.countTokens('Hello, world! The quick brown fox.')).toBe(ids.length)
    expect(loadTokenizer()).toBe(tokenizer)
  })
})

describe('PromptBuilder', () => {
  const builder = new PromptBuilder(loadTokenizer(), {salt: 7})

  it('makes text of exactly N tokens, the same for the same key', () => {
    expect(builder.exact).toBe(true)
    for (const n of [1, 2, 17, 512, 3000]) {
      const text = builder.text(n, n)
      expect(builder.tokenizer.countTokens(text)).toBe(n)
    }
    expect(builder.text(100, 3)).toBe(builder.text(100, 3))
    expect(builder.text(100, 3)).not.toBe(builder.text(100, 4))
    expect(new PromptBuilder(loadTokenizer(), {salt: 8}).text(100, 3)).not.toBe(builder.text(100, 3))
  })

  it('gives the same hash id the same block text and shares prefixes', () => {
    const a = builder.hashPrompt([1, 2, 3], 16, 40, 100)
    const b = builder.hashPrompt([1, 2, 9], 16, 48, 101)
    expect(builder.tokenizer.countTokens(a)).toBe(40)
    expect(builder.tokenizer.countTokens(b)).toBe(48)
    const shared = builder.hashBlock(1, 16) + builder.hashBlock(2, 16)
    expect(a.startsWith(shared)).toBe(true)
    expect(b.startsWith(shared)).toBe(true)
    expect(a.slice(shared.length, shared.length + 20)).not.toBe(b.slice(shared.length, shared.length + 20))
    // Its last block is cut to 8 tokens: a token prefix of block 3.
    expect(builder.hashBlock(3, 16).startsWith(a.slice(shared.length))).toBe(true)
    expect(builder.tokenizer.countTokens(builder.hashBlock(5, 16))).toBe(16)
    // Ids covering fewer tokens than asked are extended.
    expect(builder.tokenizer.countTokens(builder.hashPrompt([1], 16, 50, 7))).toBe(50)
  })

  it('cuts text at word boundaries', () => {
    expect(firstWords(' a b c', 2)).toBe(' a b')
    expect(firstWords(' a b c', 5)).toBe(' a b c')
    expect(firstWords(' a b c', 0)).toBe('')
  })
})

describe('Hugging Face tokenizer.json', () => {
  it('loads a local file and builds exact prompts with its own vocabulary', () => {
    const file = writeTinyTokenizer()
    const tokenizer = loadTokenizer(file)
    expect(tokenizer.name).toBe(`tokenizer.json: ${file}`)
    expect(tokenizer.encode(' bab zoo').length).toBe(5) // " bab" is one token, " zoo" four bytes
    expect(tokenizer.decode(tokenizer.encode(' bab bac'))).toBe(' bab bac')
    const builder = new PromptBuilder(tokenizer)
    expect(builder.words.length).toBe(100)
    expect(builder.words.every((w) => tinyWords(100).includes(w.slice(1)))).toBe(true)
    for (const n of [1, 33, 500]) expect(tokenizer.countTokens(builder.text(n, n))).toBe(n)
  })

  it('names the file and what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-tokenizer-'))
    expect(() => loadTokenizer(join(dir, 'missing.json'))).toThrow(/missing\.json: file not found; expected a Hugging Face tokenizer\.json/)
    writeFileSync(join(dir, 'bad.json'), '{"model": ')
    expect(() => loadTokenizer(join(dir, 'bad.json'))).toThrow(/bad\.json: invalid JSON/)
    writeFileSync(join(dir, 'other.json'), '{"name": "x"}')
    expect(() => loadTokenizer(join(dir, 'other.json'))).toThrow(/other\.json: not a Hugging Face tokenizer\.json/)
  })
})
