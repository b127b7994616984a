import {readFileSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {TracebenchError} from '../common/errors.js'

/**
 * Counts and makes tokens for prompt sizing and token accounting. Replay (client side)
 * and `serve` (server side) use the same default, so both count prompts alike.
 */
export interface Tokenizer {
  /** What it is, for provenance: `o200k_base (gpt-tokenizer)` or `tokenizer.json: PATH`. */
  readonly name: string
  /** Token ids of `text`, without special tokens (no BOS/EOS). */
  encode(text: string): number[]
  /** Text of `ids`; special tokens are dropped. */
  decode(ids: number[]): string
  countTokens(text: string): number
}

/** The bundled default: OpenAI's o200k_base encoding (GPT-4o, gpt-oss), vocabulary shipped in the npm package. */
export const defaultTokenizerName = 'o200k_base (gpt-tokenizer)'

interface GptEncoding {
  encode(text: string): number[]
  decode(ids: Iterable<number>): string
  countTokens(text: string): number
}

// Loaded on first use, not at import: the vocabulary takes about 0.3 s to parse, and
// simulated replays, which import this module's neighbours, never need it.
const require = createRequire(import.meta.url)
let defaultTokenizer: Tokenizer | undefined
const fileTokenizers = new Map<string, Tokenizer>()

/**
 * The tokenizer for prompt sizing: the bundled default, or a Hugging Face `tokenizer.json`
 * (with `tokenizer_config.json` beside it when present), read from disk; nothing is
 * fetched. Loaded once per thread and path.
 */
export function loadTokenizer(file?: string): Tokenizer {
  if (file === undefined) {
    defaultTokenizer ??= wrapGptEncoding(require('gpt-tokenizer/cjs/encoding/o200k_base') as GptEncoding)
    return defaultTokenizer
  }
  let tokenizer = fileTokenizers.get(file)
  if (tokenizer === undefined) {
    tokenizer = loadHuggingFaceTokenizer(file)
    fileTokenizers.set(file, tokenizer)
  }
  return tokenizer
}

function wrapGptEncoding(encoding: GptEncoding): Tokenizer {
  return {
    name: defaultTokenizerName,
    encode: (text) => encoding.encode(text),
    decode: (ids) => encoding.decode(ids),
    countTokens: (text) => encoding.countTokens(text),
  }
}

interface HfTokenizer {
  encode(text: string, options: {add_special_tokens: boolean}): {ids: number[]}
  decode(ids: number[], options: {skip_special_tokens: boolean}): string
}

function loadHuggingFaceTokenizer(file: string): Tokenizer {
  const json = readJsonObject(file, 'a Hugging Face tokenizer.json')
  const configPath = join(dirname(file), 'tokenizer_config.json')
  const config = fileExists(configPath) ? readJsonObject(configPath, 'a Hugging Face tokenizer_config.json') : {}
  if (typeof json.model !== 'object' || json.model === null) {
    throw new TracebenchError(`--tokenizer ${file}: not a Hugging Face tokenizer.json (expected a "model" object at the top level)`)
  }
  const {Tokenizer: HfTokenizerClass} = require('@huggingface/tokenizers') as {Tokenizer: new (json: object, config: object) => HfTokenizer}
  let hf: HfTokenizer
  try {
    hf = new HfTokenizerClass(json, config)
    hf.encode('probe', {add_special_tokens: false})
  } catch (error) {
    throw new TracebenchError(`--tokenizer ${file}: cannot load this tokenizer.json: ${(error as Error).message}`)
  }
  return {
    name: `tokenizer.json: ${file}`,
    encode: (text) => hf.encode(text, {add_special_tokens: false}).ids,
    decode: (ids) => hf.decode(ids, {skip_special_tokens: true}),
    countTokens: (text) => hf.encode(text, {add_special_tokens: false}).ids.length,
  }
}

function readJsonObject(file: string, what: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : (error as Error).message
    throw new TracebenchError(`--tokenizer ${file}: ${reason}; expected ${what}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new TracebenchError(`--tokenizer ${file}: invalid JSON (${(error as Error).message}); expected ${what}`)
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new TracebenchError(`--tokenizer ${file}: expected ${what} (a JSON object)`)
  return data as Record<string, unknown>
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
