import {Args, Flags, type Interfaces} from '@oclif/core'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {TracebenchError} from '../common/errors.js'
import {writeResultsFile, type ResultsFile} from '../metrics/results-file.js'
import {formatResultsSummary} from '../metrics/summary-table.js'
import {endpointFlags, endpointOverrides, harnessOptions, startAtFlag} from '../http/endpoint-flags.js'
import {isEndpointSpec, resolveEndpoint} from '../http/endpoint-config.js'
import {reportEndpointRun} from '../replay/endpoint-run-report.js'
import {withInterrupt} from '../replay/interrupt-signal.js'
import {runEndpointReplay} from '../replay/run-endpoint-replay.js'
import {readSteadyStateFlags, steadyStateFlags} from '../parallel/steady-state-flags.js'
import {runReplay} from '../replay/run-replay.js'
import {parseShard} from '../parallel/shard.js'
import {traceReadWarnings} from '../replay/trace-read-warnings.js'
import {readTraceFlags, readTraceSettingsFromFlags} from '../traces/read-trace-flags.js'

export interface ReplayCommandResult {
  out: string
  requestsOut: string | null
  results: ResultsFile
}

type ReplayFlags = Interfaces.InferredFlags<typeof Replay.flags>

export default class Replay extends TracebenchCommand {
  static override summary = 'Replay a trace against a simulated backend or a real OpenAI-compatible endpoint and write a results file'
  static override description = `Runs the trace through a discrete-event simulation of the backend in virtual time (continuous batching, KV-cache admission and preemption, prefix caching, and for disaggregated backends the KV transfer between pools), records TTFT, TPOT, ITL, E2E, queue and KV-transfer time in HDR histograms, prints a short summary and writes the results file (JSON, versioned schema).

TRACE is a trace file (Azure CSV, BurstGPT CSV, Mooncake JSONL, tracebench JSONL; .gz accepted) or a synthesized trace: synth:chat, synth:coding or synth:agentic, with optional ?requests=N&rate=R&turns=T&seed=S (default 1,000 requests at the profile's rate; the seed defaults to --seed).

Session turns are replayed closed-loop: a turn is released when the previous turn of its session has produced its last token, plus its think time. --rate-scale multiplies the arrival rate of open-loop requests and session starts; think times are not scaled.

With --backend http://HOST:PORT/v1 (or an endpoint file, kind: openai) the trace is sent to a real server on the wall clock: streaming requests sized to the trace's tokens, sessions carrying their history, sent from worker threads that measure their own send lag. A run whose client fell behind is written but marked invalid (exit 97), and \`gate\` fails on it. Ctrl-C writes the partial results marked interrupted (exit 130). The API key comes from the environment (--api-key-env, default OPENAI_API_KEY) and is never written anywhere.

--steady-state measures as a capacity point does: the trace is repeated (each repetition with new session names and new prefix block ids) until it spans the warm-up plus --window of simulated time, only requests arriving in the window are scored, and the results file's steadyState block says whether the backend delivered at least --min-delivered of the request rate offered in the window.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> ../shared/traces/azure-2023/AzureLLMInferenceTrace_conv.csv --backend cs3 --out results/conv-cs3.json',
    "<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend trn3-cs3 --rate-scale 4 --slo 'ttft.p90<=2s' --slo 'tpot.p90<=1ms' --out results/chat-x4.json",
    '<%= config.bin %> <%= command.id %> synth:agentic?requests=2000 --backend gpu-h100 --model llama-3.1-8b --out results/agentic.json --requests-out results/agentic-requests.csv',
    '<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend ./my-backend.yaml --replicas decode=2 --out results/custom.json --json',
    '<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend http://127.0.0.1:8000/v1 --ignore-eos --limit 500 --out results/vllm.json',
    '<%= config.bin %> <%= command.id %> synth:agentic?requests=200 --backend ./endpoints/sglang.yaml --shard 0/4 --start-at 2026-03-01T12:00:00Z --out results/part-0.json',
    "<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend trn3-cs3 --rate-scale 40 --slo 'ttft.p90<=2s' --steady-state --window 300s --out results/chat-x40-steady.json",
  ]

  static override enableJsonFlag = true

  static override args = {
    trace: Args.string({description: 'trace file, or synth:KIND[?requests=N&rate=R]', required: true}),
  }

  static override flags = {
    backend: Flags.string({char: 'b', description: 'backend preset name (see `backends list`), backend YAML file, endpoint URL (http://HOST:PORT/v1) or endpoint file (kind: openai)', required: true}),
    model: Flags.string({char: 'm', description: "model (catalog name or alias); default: the backend's. Real endpoints: the model name sent (default: the first of GET /v1/models)"}),
    'rate-scale': Flags.string({char: 'r', description: 'arrival-rate multiplier (> 0; 2 = twice the trace rate)', default: '1'}),
    limit: Flags.integer({description: 'replay only the first N requests', min: 1}),
    seed: Flags.integer({description: 'seed for synthesized traces and random routing', default: 1}),
    slo: Flags.string({description: "SLO for goodput, e.g. 'ttft.p90<=2s' or 'tpot.p99<50ms' (repeatable)", multiple: true}),
    out: Flags.string({char: 'o', description: 'results file to write (JSON)', required: true}),
    'requests-out': Flags.string({description: 'also write one record per request (.csv or .jsonl)'}),
    replicas: Flags.string({description: 'set a pool\'s replicas: POOL=N with POOL pool, prefill or decode (repeatable)', multiple: true}),
    ...readTraceFlags,
    catalog: Flags.string({description: 'extra catalog YAML file (hardware, models, links; repeatable)', multiple: true}),
    shard: Flags.string({description: 'real endpoints: send only this share of the sessions, INDEX/COUNT (0-based), e.g. --shard $JOB_COMPLETION_INDEX/4'}),
    ...endpointFlags,
    ...startAtFlag,
    'steady-state': Flags.boolean({description: 'measure a steady state as a capacity point does: repeat the trace to --window, score only that window'}),
    ...steadyStateFlags,
  }

  async run(): Promise<ReplayCommandResult> {
    const {args, flags} = await this.parse(Replay)
    checkOutputPaths(
      [{path: flags.out, kind: 'file', flag: '--out'}, ...(flags['requests-out'] === undefined ? [] : [{path: flags['requests-out'], kind: 'file' as const, flag: '--requests-out'}])],
      [args.trace, flags.backend, ...(flags.catalog ?? [])],
    )
    if (isEndpointSpec(flags.backend)) return this.runEndpoint(args.trace, flags)
    const endpointOnly = ['shard', 'start-at', ...Object.keys(endpointFlags)].filter((name) => (flags as Record<string, unknown>)[name] !== undefined)
    if (endpointOnly.length > 0) {
      throw new TracebenchError(`--${endpointOnly[0]} applies to real endpoints (--backend http://HOST:PORT/v1 or an endpoint file), not to the simulated backend ${flags.backend}`)
    }
    const results = await runReplay({
      trace: args.trace,
      backend: flags.backend,
      model: flags.model,
      rateScale: parseRateScale(flags['rate-scale']),
      limit: flags.limit,
      seed: flags.seed,
      slos: flags.slo ?? [],
      poolReplicas: parsePoolReplicas(flags.replicas ?? []),
      requestsOut: flags['requests-out'],
      read: readTraceSettingsFromFlags(flags),
      catalogFiles: flags.catalog ?? [],
      ...(flags['steady-state'] ? {steadyState: readSteadyStateFlags(flags)} : {}),
      argv: ['replay', ...this.argv],
    })
    await writeResultsFile(flags.out, results)
    for (const warning of traceReadWarnings([results])) this.logToStderr(`Warning: ${warning}`)
    this.log(formatResultsSummary(results))
    this.log('')
    this.log(`results: ${flags.out}${flags['requests-out'] === undefined ? '' : `\nrequests: ${flags['requests-out']}`}`)
    return {out: flags.out, requestsOut: flags['requests-out'] ?? null, results}
  }

  private async runEndpoint(trace: string, flags: ReplayFlags): Promise<ReplayCommandResult> {
    if (flags.replicas !== undefined) throw new TracebenchError('--replicas applies to simulated backends, not to a real endpoint')
    if (flags['steady-state']) throw new TracebenchError('--steady-state applies to simulated backends (it repeats the trace in virtual time), not to a real endpoint')
    const endpoint = resolveEndpoint(flags.backend, endpointOverrides(flags))
    const {value: results, interrupted} = await withInterrupt((signal) =>
      runEndpointReplay(
        {
          trace,
          endpoint,
          rateScale: parseRateScale(flags['rate-scale']),
          limit: flags.limit,
          seed: flags.seed,
          slos: flags.slo ?? [],
          requestsOut: flags['requests-out'],
          read: readTraceSettingsFromFlags(flags),
          shard: flags.shard === undefined ? undefined : parseShard(flags.shard),
          argv: ['replay', ...this.argv],
          ...harnessOptions(flags),
        },
        {signal},
      ),
    )
    await writeResultsFile(flags.out, results)
    this.log(formatResultsSummary(results))
    this.log('')
    this.log(`results: ${flags.out}${flags['requests-out'] === undefined ? '' : `\nrequests: ${flags['requests-out']}`}`)
    const verdict = reportEndpointRun(results, interrupted)
    for (const line of verdict.lines) this.logToStderr(line)
    // Set, not thrown: --json still prints the results, and the process then exits with it.
    if (verdict.exitCode !== 0) process.exitCode = verdict.exitCode
    return {out: flags.out, requestsOut: flags['requests-out'] ?? null, results}
  }
}

function parseRateScale(text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new TracebenchError(`--rate-scale: expected a positive number (1 = the trace's own rate), got "${text}"`)
  }
  return value
}

export function parsePoolReplicas(entries: readonly string[]): Record<string, number> | undefined {
  if (entries.length === 0) return undefined
  const replicas: Record<string, number> = {}
  for (const entry of entries) {
    const match = /^([a-z]+)=(\d+)$/.exec(entry.trim())
    if (match === null || Number(match[2]) < 1) throw new TracebenchError(`--replicas ${entry}: expected POOL=N with N a positive integer, e.g. --replicas decode=2`)
    replicas[match[1]!] = Number(match[2])
  }
  return replicas
}
