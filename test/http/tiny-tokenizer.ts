import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** GPT-2's byte-to-unicode table (printable stand-ins for the 256 bytes), as byte-level BPE vocabularies use. */
function byteAlphabet(): string[] {
  const printable: number[] = []
  for (let b = 33; b <= 126; b++) printable.push(b)
  for (let b = 161; b <= 172; b++) printable.push(b)
  for (let b = 174; b <= 255; b++) printable.push(b)
  const chars = new Array<string>(256)
  let extra = 0
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++)
  return chars
}

/** Consonant-vowel-consonant words: enough single-token words for the prompt builder, no word list to keep. */
export function tinyWords(count: number): string[] {
  const consonants = 'bcdfghjklmnprstvz'
  const vowels = 'aeiou'
  const words: string[] = []
  for (const c1 of consonants) for (const v of vowels) for (const c2 of consonants) if (words.length < count) words.push(`${c1}${v}${c2}`)
  return words
}

/**
 * A small byte-level BPE tokenizer.json (the format of Llama 3, Qwen, GPT-2 on the Hugging
 * Face Hub) in which " WORD" is one token for each of `words`; written to a temporary
 * folder, so the loader is tested on a real file, offline.
 */
export function writeTinyTokenizer(words = tinyWords(100)): string {
  const alphabet = byteAlphabet()
  const vocab: Record<string, number> = {}
  alphabet.forEach((ch, i) => (vocab[ch] = i))
  const merges: string[] = []
  const space = alphabet[32]!
  for (const word of words) {
    let left = space
    for (const ch of word) {
      const merged = left + ch
      if (vocab[merged] === undefined) {
        merges.push(`${left} ${ch}`)
        vocab[merged] = Object.keys(vocab).length
      }
      left = merged
    }
  }
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{id: Object.keys(vocab).length, content: '<|bos|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true}],
    normalizer: null,
    pre_tokenizer: {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true},
    post_processor: null,
    decoder: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
    model: {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges},
  }
  const dir = mkdtempSync(join(tmpdir(), 'tracebench-tokenizer-'))
  const file = join(dir, 'tokenizer.json')
  writeFileSync(file, JSON.stringify(json))
  return file
}
