import {existsSync} from 'node:fs'
import type {TraceReadSettings} from '../traces/read-trace.js'
import {availableParallelism} from 'node:os'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {TracebenchError} from '../common/errors.js'
import type {ExitCodeValue} from '../common/exit-codes.js'
import {EndpointClient} from '../http/endpoint-client.js'
import {readApiKey, type EndpointConfig} from '../http/endpoint-config.js'
import {loadTokenizer} from '../http/tokenizer.js'
import {buildHarnessReport, type HarnessThresholds} from '../metrics/harness-report.js'
import {httpMetricDefinitions} from '../metrics/http-definitions.js'
import {MetricsRecorder} from '../metrics/recorder.js'
import {buildResultsFile, type ResultsFile} from '../metrics/results-file.js'
import {parseSlos} from '../metrics/slo.js'
import type {TraceFormat} from '../traces/trace-record.js'
import {RequestsLogWriter} from './requests-log.js'
import {describeTraceSpec, parseTraceSpec, type TraceSpec} from './trace-spec.js'
import type {WallClockStats} from './wall-clock-run.js'
import type {MainToWorker, WallWorkerInput, WorkerToMain} from './wall-clock-protocol.js'

/** A replay against a real endpoint, as plain data (sweeps and capacity searches pass it on). */
export interface EndpointReplayOptions {
  trace: string | TraceSpec
  endpoint: EndpointConfig
  rateScale?: number
  limit?: number
  seed?: number
  slos?: string[]
  requestsOut?: string
  /** The command line, recorded with secrets redacted (see redactArgv). */
  argv?: string[]
  traceFormat?: TraceFormat
  skipInvalid?: boolean
  /** The other reader flags (--strict, --include-failed, --reorder-window). */
  read?: TraceReadSettings
  /** Sending threads (default: one fewer than the cores, at least 1; the main thread records). */
  workers?: number
  /** This machine's share of the sessions: `{index, count}` of `--shard i/n`. */
  shard?: {index: number; count: number}
  /** Common start time for every shard: ISO 8601 or milliseconds since the epoch; default: as soon as the threads are ready. */
  startAt?: string
  /** The first N requests of the trace are sent but not recorded. */
  warmup?: number
  /** Send nothing scheduled later than this many seconds after the start. */
  durationS?: number
  /** Most requests in flight at once (closed loop); default: no cap (open loop). */
  concurrency?: number
  thresholds?: Partial<HarnessThresholds>
  /** How long requests in flight may finish after an interrupt before they are aborted. */
  graceMs?: number
}

export interface EndpointReplayHooks {
  onProgress?: (finishedRequests: number) => void
  /** Aborting it (Ctrl-C, SIGTERM) stops sending; the partial results come back marked interrupted. */
  signal?: AbortSignal
}

export const defaultThresholds: HarnessThresholds = {maxSendLagP99Ms: 5, minAchievedRatio: 0.95}

/** Default sending threads: the cores less one for the main thread, which records. */
export function defaultSendingWorkers(): number {
  return Math.max(1, availableParallelism() - 1)
}

/**
 * Replays a trace against an OpenAI-compatible endpoint on the wall clock. Worker threads
 * send (each its share: sessions whole, other requests by index); the main thread records
 * every outcome into one MetricsRecorder, the same as a simulation's, and builds the
 * results file with the harness's self-certification and the token accounting.
 */
export async function runEndpointReplay(options: EndpointReplayOptions, hooks: EndpointReplayHooks = {}): Promise<ResultsFile> {
  const rateScale = options.rateScale ?? 1
  if (!(Number.isFinite(rateScale) && rateScale > 0)) throw new TracebenchError(`--rate-scale: expected a positive number, got ${rateScale}`)
  const seed = options.seed ?? 1
  const sloTexts = options.slos ?? []
  const slos = parseSlos(sloTexts)
  const workers = options.workers ?? defaultSendingWorkers()
  if (!(Number.isInteger(workers) && workers >= 1)) throw new TracebenchError(`--workers: expected a whole number of at least 1, got ${workers}`)
  const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY
  if (!(concurrency === Number.POSITIVE_INFINITY || (Number.isInteger(concurrency) && concurrency >= 1))) {
    throw new TracebenchError(`--concurrency: expected a whole number of at least 1, got ${concurrency}`)
  }
  const startAtMs = options.startAt === undefined ? undefined : parseStartAt(options.startAt)
  const thresholds = {...defaultThresholds, ...options.thresholds}
  const spec = typeof options.trace === 'string' ? parseTraceSpec(options.trace) : options.trace
  const endpoint = options.endpoint
  const apiKey = readApiKey(endpoint)
  const tokenizer = loadTokenizer(endpoint.tokenizer)
  const model = endpoint.model ?? (await discoverModel(endpoint, apiKey))

  const recorder = new MetricsRecorder({slos})
  const log = options.requestsOut === undefined ? undefined : await RequestsLogWriter.open(options.requestsOut)
  const shard = options.shard ?? {index: 0, count: 1}
  let finished = 0
  let inFlight = 0
  let originMs = 0
  const onBatch = (message: Extract<WorkerToMain, {type: 'batch'}>): void => {
    for (const outcome of message.outcomes) {
      recorder.recordOutcome(outcome)
      log?.logOutcome(outcome)
    }
    for (const failure of message.failures) {
      recorder.recordFailure(failure)
      log?.logFailure(failure)
    }
    finished += message.outcomes.length + message.failures.length
    inFlight = Math.max(0, inFlight - message.outcomes.length - message.failures.length)
    recorder.sampleStateValues(Math.max(0, Math.round((performance.now() - originMs) * 1000)), 0, inFlight, 0)
    hooks.onProgress?.(finished)
  }

  const perWorkerConcurrency = (i: number): number =>
    concurrency === Number.POSITIVE_INFINITY ? concurrency : Math.floor(concurrency / workers) + (i < concurrency % workers ? 1 : 0)
  const inputs: WallWorkerInput[] = Array.from({length: workers}, (_, i) => ({
    trace: spec,
    traceFormat: options.traceFormat,
    skipInvalid: options.skipInvalid,
    read: options.read,
    seed,
    rateScale,
    limit: options.limit,
    share: {shard, worker: {index: i, count: workers}},
    endpoint,
    model,
    warmup: options.warmup ?? 0,
    durationUs: options.durationS === undefined ? Number.POSITIVE_INFINITY : options.durationS * 1e6,
    concurrency: Math.max(1, perWorkerConcurrency(i)),
  }))
  let interrupted = false
  let stats: WallClockStats[]
  try {
    stats = await runWorkers(inputs, options.graceMs ?? 5000, startAtMs, hooks.signal, onBatch, (startEpochMs) => {
      originMs = startEpochMs - performance.timeOrigin
    }, () => {
      interrupted = true
    })
    await log?.commit()
  } catch (error) {
    await log?.abort()
    throw error
  }
  const records = stats.reduce((sum, s) => sum + s.records, 0)
  if (records === 0 && !interrupted) throw new TracebenchError(`${describeTraceSpec(spec).path}: the trace has no requests to replay${shard.count > 1 ? ' in this shard' : ''}`)

  const startUs = Math.min(...stats.filter((s) => s.sent > 0).map((s) => s.firstScheduledUs))
  const endUs = Math.max(0, ...stats.map((s) => s.lastEndUs))
  const snapshot = recorder.finish({startUs: Number.isFinite(startUs) ? startUs : 0, endUs})
  const described = describeTraceSpec(spec)
  const withRecords = stats.filter((s) => s.records > 0)
  const firstArrivalUs = Math.min(...withRecords.map((s) => s.firstArrivalUs))
  const lastArrivalUs = Math.max(...withRecords.map((s) => s.lastArrivalUs))
  const durationS = withRecords.length === 0 ? 0 : (lastArrivalUs - firstArrivalUs) / 1e6
  const offeredRatePerS = durationS > 0 ? (records / durationS) * rateScale : null
  const sum = (pick: (s: WallClockStats) => number): number => stats.reduce((total, s) => total + pick(s), 0)
  const harness = buildHarnessReport(stats, {
    thresholds,
    interrupted,
    concurrency: concurrency === Number.POSITIVE_INFINITY ? null : concurrency,
    connectionsPerWorker: endpoint.connectionsPerWorker,
    shard: `${shard.index}/${shard.count}`,
  })
  return buildResultsFile({
    command: redactArgv(options.argv ?? [], apiKey),
    seed,
    trace: {
      path: described.path,
      name: described.name,
      format: stats.find((s) => s.format !== '')?.format ?? ('path' in spec ? (spec.format ?? options.traceFormat ?? 'unknown') : 'synth'),
      requests: records,
      sessions: sum((s) => s.sessions),
      durationS,
      rateScale,
      offeredRatePerS,
      limit: options.limit ?? null,
      summary: {
        inputTokensMean: records > 0 ? sum((s) => s.inputTokens) / records : null,
        outputTokensMean: records > 0 ? sum((s) => s.outputTokens) / records : null,
        ratePerS: durationS > 0 ? records / durationS : null,
        replayedRatePerS: offeredRatePerS,
      },
    },
    backend: describeEndpoint(endpoint, model, tokenizer.name),
    slos: sloTexts,
    snapshot,
    definitions: httpMetricDefinitions(),
    http: {
      endpoint: {url: endpoint.url, api: endpoint.api, model},
      shards: [`${shard.index}/${shard.count}`],
      startAt: options.startAt ?? null,
      harness,
      tokens: buildTokenAccounting(stats, tokenizer.name),
    },
  })
}

/** The results file's backend section for an endpoint (the key is never part of it; header values are not recorded). */
export function describeEndpoint(endpoint: EndpointConfig, model: string, tokenizer: string): ResultsFile['backend'] {
  return {
    name: endpoint.name,
    kind: 'http',
    model,
    description: `OpenAI-compatible endpoint ${endpoint.url} (${endpoint.api === 'chat' ? '/chat/completions' : '/completions'}, streaming)`,
    footprint: {systems: 0, chips: 0, racks: 0, kW: 0, usdPerHour: null},
    config: {
      kind: 'openai',
      url: endpoint.url,
      api: endpoint.api,
      model,
      headers: Object.keys(endpoint.headers).sort(),
      apiKeyEnv: endpoint.apiKeyEnv ?? null,
      timeouts: endpoint.timeouts,
      connectionsPerWorker: endpoint.connectionsPerWorker,
      tokenizer,
      extraBody: endpoint.extraBody,
      ignoreEos: endpoint.ignoreEos,
      maxTokensField: endpoint.maxTokensField,
    },
  }
}

async function discoverModel(endpoint: EndpointConfig, apiKey: string | undefined): Promise<string> {
  const client = new EndpointClient(endpoint, apiKey, () => 0)
  try {
    const models = await client.listModels()
    if (models.length === 0) throw new TracebenchError(`GET ${endpoint.url}/models listed no model; pass --model NAME`)
    return models[0]!
  } catch (error) {
    if (error instanceof TracebenchError) throw error
    const e = error as {message?: string; code?: string; cause?: {code?: string; message?: string}}
    const why = e.cause?.code ?? e.code ?? e.message ?? String(error)
    throw new TracebenchError(`cannot list the models of ${endpoint.url} (${why}); is the server up? Pass --model NAME to skip the lookup`)
  } finally {
    await client.close()
  }
}

function buildTokenAccounting(stats: WallClockStats[], tokenizer: string): NonNullable<ResultsFile['http']>['tokens'] {
  const t = stats.map((s) => s.tokens)
  const sum = (pick: (x: WallClockStats['tokens']) => number): number => t.reduce((total, x) => total + pick(x), 0)
  return {
    tokenizer,
    intended: {inputTokens: sum((x) => x.intendedInput), outputTokens: sum((x) => x.intendedOutput)},
    server: {requests: sum((x) => x.serverRequests), inputTokens: sum((x) => x.serverInput), outputTokens: sum((x) => x.serverOutput)},
    difference: {
      inputTokens: sum((x) => x.serverInput - x.intendedInputWithUsage),
      outputTokens: sum((x) => x.serverOutput - x.intendedOutputWithUsage),
    },
    shortAnswers: sum((x) => x.shortAnswers),
    chunks: {
      events: sum((x) => x.events),
      content: sum((x) => x.contentChunks),
      tokens: sum((x) => x.chunkTokens),
      maxTokensPerChunk: Math.max(0, ...t.map((x) => x.maxTokensPerChunk)),
      multiTokenChunks: sum((x) => x.multiTokenChunks),
    },
  }
}

/**
 * Starts the sending threads, gives them one common start (as soon as all are ready, or
 * --start-at), relays outcome batches, and on an abort tells them to stop.
 */
async function runWorkers(
  inputs: WallWorkerInput[],
  graceMs: number,
  startAtMs: number | undefined,
  signal: AbortSignal | undefined,
  onBatch: (message: Extract<WorkerToMain, {type: 'batch'}>) => void,
  onStart: (startEpochMs: number) => void,
  onInterrupt: () => void,
): Promise<WallClockStats[]> {
  const file = resolveWallClockWorker()
  const threads = inputs.map((input) => new Worker(file, {workerData: input}))
  const stats: Array<WallClockStats | null> = new Array(threads.length).fill(null)
  let ready = 0
  let failure: Error | undefined
  const send = (message: MainToWorker): void => {
    for (const thread of threads) thread.postMessage(message)
  }
  const stop = (): void => {
    onInterrupt()
    send({type: 'stop', graceMs})
  }
  if (signal?.aborted === true) stop()
  signal?.addEventListener('abort', stop, {once: true})
  try {
    await Promise.all(
      threads.map(
        (thread, i) =>
          new Promise<void>((resolve) => {
            thread.on('message', (message: WorkerToMain) => {
              if (message.type === 'ready') {
                if (++ready === threads.length) {
                  // Threads are warm (tokenizer loaded); a short lead lets every one arm its first timer.
                  const startEpochMs = startAtMs ?? performance.timeOrigin + performance.now() + 250
                  onStart(startEpochMs)
                  send({type: 'start', startEpochMs})
                }
              } else if (message.type === 'batch') onBatch(message)
              else if (message.type === 'done') {
                stats[i] = message.stats
                resolve()
              } else if (message.type === 'error') {
                failure ??= new TracebenchError(message.message, message.exitCode === undefined ? {} : {exitCode: message.exitCode as ExitCodeValue})
                send({type: 'stop', graceMs: 0})
                resolve()
              }
            })
            thread.on('error', (error) => {
              failure ??= error
              send({type: 'stop', graceMs: 0})
              resolve()
            })
            thread.on('exit', () => resolve())
          }),
      ),
    )
  } finally {
    signal?.removeEventListener('abort', stop)
    await Promise.all(threads.map((thread) => thread.terminate()))
  }
  if (failure !== undefined) throw failure
  return stats.filter((s): s is WallClockStats => s !== null)
}

/** The compiled worker (see resolveWorkerFile in src/parallel/pool.ts: tests running src/ use dist/). */
function resolveWallClockWorker(): string {
  const candidates = [new URL('./wall-clock-worker.js', import.meta.url), new URL('../../dist/replay/wall-clock-worker.js', import.meta.url)]
  for (const url of candidates) {
    const path = fileURLToPath(url)
    if (existsSync(path)) return path
  }
  throw new TracebenchError('cannot find the compiled wall-clock worker; run `npm run build` first')
}

/** `--start-at`: an ISO 8601 time or milliseconds since the Unix epoch. */
export function parseStartAt(text: string): number {
  const trimmed = text.trim()
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed)
  if (!Number.isFinite(ms)) throw new TracebenchError(`--start-at "${text}": expected an ISO 8601 time (2026-03-01T12:00:00Z) or milliseconds since the epoch`)
  const lateMs = Date.now() - ms
  if (lateMs > 60_000) throw new TracebenchError(`--start-at "${text}" is ${Math.round(lateMs / 1000)} s in the past; give a time a little ahead of the pods' start`)
  // Date.now() and the monotonic clock differ by a constant in one process: convert once.
  return ms - Date.now() + performance.timeOrigin + performance.now()
}

/**
 * The command line as recorded: the key's value (should it appear) and the values of
 * anything that looks like a secret (`--header Authorization=...`, `key=...`) replaced.
 */
export function redactArgv(argv: readonly string[], apiKey: string | undefined): string[] {
  const secretFlag = /^--?[\w-]*(key|token|secret|password|authorization|header)[\w-]*$/i
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!
    if (apiKey !== undefined && apiKey !== '') arg = arg.split(apiKey).join('[redacted]')
    const eq = arg.indexOf('=')
    if (arg.startsWith('-') && eq > 0 && secretFlag.test(arg.slice(0, eq)) && !/-env$/i.test(arg.slice(0, eq))) arg = `${arg.slice(0, eq)}=[redacted]`
    else if (/^(authorization|bearer|api[-_]?key|x-api-key)\s*[:=]/i.test(arg)) arg = `${arg.split(/[:=]/, 1)[0]}=[redacted]`
    out.push(arg)
    if (arg.startsWith('-') && eq < 0 && secretFlag.test(arg) && !/-env$/i.test(arg) && i + 1 < argv.length) {
      out.push('[redacted]')
      i++
    }
  }
  return out
}
