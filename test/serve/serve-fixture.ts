import {validateBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {startSimServer, type SimServer, type SimServerOptions} from '../../src/serve/sim-server.js'

/** A small, fast backend for loopback tests: Llama 3.1 8B on H100 replicas, chunked prefill. */
export function smallBackendConfig(replicas = 2, maxBatchSize = 256): Record<string, unknown> {
  return {
    kind: 'aggregated',
    name: 'test-h100-8b',
    description: 'Llama 3.1 8B on single H100s, for serve tests',
    model: 'llama-3.1-8b',
    sources: ['test fixture'],
    pool: {
      hardware: 'h100-sxm',
      precision: 'bf16',
      tp: 1,
      replicas,
      scheduler: {policy: 'chunked', maxBatchSize, maxBatchedTokens: 8192, blockTokens: 16, watermarkFraction: 0.01, prefixCaching: true},
    },
    routing: {policy: 'least-loaded'},
  }
}

/** Whitespace words as tokens: each " word" is one token (a stand-in with an exact, checkable count). */
export const wordTokenizer = {
  name: 'words (test)',
  encode(text: string): number[] {
    const ids: number[] = []
    for (const word of text.split(/(?= )/)) {
      if (word.trim() === '') continue
      let h = 7
      for (let i = 0; i < word.length; i++) h = (Math.imul(h, 31) + word.charCodeAt(i)) >>> 0
      ids.push(h % 100_000)
    }
    return ids
  },
}

export const answerWords = [' alpha', ' beta', ' gamma', ' delta', ' kappa', ' sigma', ' omega', ' theta']

/** A prompt of exactly `tokens` words for `wordTokenizer`, distinct per key. */
export function promptOf(tokens: number, key: number): string {
  return Array.from({length: tokens}, (_, i) => ` w${key}x${i}`).join('')
}

export async function startTestServer(options: Partial<SimServerOptions> & {replicas?: number; maxBatchSize?: number} = {}): Promise<SimServer> {
  const catalog = loadCatalog()
  const backend = resolveBackend(validateBackendConfig(smallBackendConfig(options.replicas, options.maxBatchSize), 'test backend'), catalog)
  return startSimServer({backend, model: catalog.model(backend.model), tokenizer: wordTokenizer, answerWords, spinUs: 1000, ...options})
}
