import {validateBackendConfig} from '../backends/load-backend.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {PromptBuilder} from '../http/prompt-builder.js'
import {loadTokenizer} from '../http/tokenizer.js'
import {startSimServer} from '../serve/sim-server.js'

/**
 * The simulated server for the serve benchmark, in its own process (so that the load
 * generator's CPU does not count against it): Llama 3.1 8B on 4 H100 replicas with 256
 * sequences each, so 1,000 streams decode at once. Prints its URL, then serves until
 * stdin closes.
 */
const catalog = loadCatalog()
const backend = resolveBackend(
  validateBackendConfig(
    {
      kind: 'aggregated',
      name: 'bench-h100-8b',
      description: 'Llama 3.1 8B on 4 single-H100 replicas',
      model: 'llama-3.1-8b',
      sources: ['serve benchmark'],
      pool: {hardware: 'h100-sxm', precision: 'bf16', replicas: 4, scheduler: {policy: 'chunked', maxBatchSize: 256, maxBatchedTokens: 8192, blockTokens: 16}},
      routing: {policy: 'least-loaded'},
    },
    'serve benchmark backend',
  ),
  catalog,
)
const tokenizer = loadTokenizer()
const server = await startSimServer({backend, model: catalog.model('llama-3.1-8b'), tokenizer, answerWords: new PromptBuilder(tokenizer).words})
console.log(server.url)
process.stdin.resume()
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0))
})
