import {Flags} from '@oclif/core'
import {loadBackendConfig} from '../backends/load-backend.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {TracebenchCommand} from '../common/base-command.js'
import {PromptBuilder} from '../http/prompt-builder.js'
import {loadTokenizer} from '../http/tokenizer.js'
import type {LagSummary} from '../serve/clock-lag.js'
import {startSimServer} from '../serve/sim-server.js'
import {parsePoolReplicas} from './replay.js'

export default class Serve extends TracebenchCommand {
  static override summary = 'Serve a simulated backend as an OpenAI-compatible HTTP server in wall-clock time'
  static override description = `Requests join a live simulation of the backend as they arrive: its continuous batching, KV admission and preemption, prefix caching and (disaggregated) KV transfer decide when each token leaves, and streams send each token at that time. Any OpenAI client or load generator (vLLM bench serve, GuideLLM, AIPerf, tracebench replay --backend http://...) can drive it.

Routes: POST /v1/completions and /v1/chat/completions (streaming or not; max_tokens, max_completion_tokens, ignore_eos, min_tokens, stream_options.include_usage), GET /v1/models, /health, /metrics (Prometheus, vLLM metric names). Prompts are counted with the same default tokenizer as replay. Without ignore_eos an answer's length is drawn (seeded) from the chat trace's output lengths, up to max_tokens.

It prints "listening on http://HOST:PORT/v1" when ready, warns on stderr when its simulated clock falls more than --max-lag-ms behind the wall clock (p99 over 5 s), and on Ctrl-C or SIGTERM ends open streams with an error event and exits 0 after a summary.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --backend gpu-h100 --model llama-3.1-8b --port 8000',
    '<%= config.bin %> <%= command.id %> --backend trn3-cs3 --port 0',
    '<%= config.bin %> <%= command.id %> --backend ./my-backend.yaml --replicas pool=2 --host 0.0.0.0 --port 8000',
  ]

  static override flags = {
    backend: Flags.string({char: 'b', description: 'backend preset name (see `backends list`) or backend YAML file', required: true}),
    model: Flags.string({char: 'm', description: "model (catalog name or alias); default: the backend's"}),
    host: Flags.string({description: 'address to listen on', default: '127.0.0.1'}),
    port: Flags.integer({char: 'p', description: 'port to listen on (0: any free port)', default: 8000, min: 0, max: 65535}),
    seed: Flags.integer({description: 'seed for answer lengths and random routing', default: 1}),
    replicas: Flags.string({description: "set a pool's replicas: POOL=N with POOL pool, prefill or decode (repeatable)", multiple: true}),
    tokenizer: Flags.string({description: "a Hugging Face tokenizer.json to count prompt tokens with (default: the bundled one replay uses)"}),
    'prefix-block-tokens': Flags.integer({description: 'tokens per prefix-cache block id of a prompt (0: no prefix-cache hits)', default: 16, min: 0}),
    'max-lag-ms': Flags.string({description: 'warn when the p99 clock lag over 5 s exceeds this (ms)', default: '1'}),
    catalog: Flags.string({description: 'extra catalog YAML file (hardware, models, links; repeatable)', multiple: true}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    const maxLagMs = Number(flags['max-lag-ms'])
    if (!(maxLagMs > 0)) this.error(`--max-lag-ms: expected a positive number of milliseconds, got "${flags['max-lag-ms']}"`, {exit: 2})
    const catalog = loadCatalog({extraFiles: flags.catalog ?? []})
    const backend = resolveBackend(loadBackendConfig(flags.backend), catalog, {model: flags.model, poolReplicas: parsePoolReplicas(flags.replicas ?? [])})
    const tokenizer = loadTokenizer(flags.tokenizer)
    const server = await startSimServer({
      backend,
      model: catalog.model(backend.model),
      tokenizer,
      answerWords: new PromptBuilder(tokenizer).words,
      host: flags.host,
      port: flags.port,
      seed: flags.seed,
      prefixBlockTokens: flags['prefix-block-tokens'],
      maxLagMs,
      onBehind: (w) => this.logToStderr(`warning: the simulation fell behind the wall clock: lag p99 ${w.p99Ms} ms, max ${w.maxMs} ms over ${w.wakeups} wake-ups (${w.maxStreams} requests in flight); token times are late by as much`),
    })
    this.log(`${backend.config.name} (${backend.model}), prompts counted with ${tokenizer.name}`)
    this.log(`listening on ${server.url}`)
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'))
      process.once('SIGTERM', () => resolve('SIGTERM'))
    })
    const lag = await server.close()
    this.log(`\n${signal}: stopped. ${server.served.completed} requests completed, ${server.served.failed} ended early, ${server.served.rejected} rejected; ${describeLag(lag)}`)
  }
}

function describeLag(lag: LagSummary): string {
  if (lag.wakeups === 0) return 'no simulation wake-ups'
  return `clock lag p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms over ${lag.wakeups} wake-ups (at most ${lag.maxStreams} requests in flight)`
}
