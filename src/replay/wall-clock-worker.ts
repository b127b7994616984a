import {parentPort, workerData} from 'node:worker_threads'
import {readApiKey} from '../http/endpoint-config.js'
import {loadTokenizer} from '../http/tokenizer.js'
import type {RequestFailure, RequestOutcome} from '../metrics/request-outcome.js'
import {openRecords} from './run-replay.js'
import {parseTraceSpec} from './trace-spec.js'
import {WallClockRun} from './wall-clock-run.js'
import type {MainToWorker, WallWorkerInput, WorkerToMain} from './wall-clock-protocol.js'

/**
 * One sending thread of a real-endpoint replay. It loads the tokenizer and reads its first
 * records, says it is ready, waits for the common start time, then sends its share of the
 * trace and posts outcomes in batches (every 100 ms) to the main thread, which records
 * them. The API key is read here from the environment, never passed in a message.
 */
const input = workerData as WallWorkerInput
const port = parentPort!
const post = (message: WorkerToMain): void => port.postMessage(message)

async function main(): Promise<void> {
  loadTokenizer(input.endpoint.tokenizer)
  let outcomes: RequestOutcome[] = []
  let failures: RequestFailure[] = []
  let run: WallClockRun | undefined
  let stopGraceMs: number | undefined
  const flush = (): void => {
    if (outcomes.length === 0 && failures.length === 0) return
    post({type: 'batch', outcomes, failures})
    outcomes = []
    failures = []
  }
  const start = new Promise<number>((resolve) => {
    port.on('message', (message: MainToWorker) => {
      if (message.type === 'start') resolve(message.startEpochMs)
      else if (message.type === 'stop') {
        stopGraceMs = message.graceMs
        run?.stop(message.graceMs)
        resolve(Number.NaN)
      }
    })
  })
  const spec = typeof input.trace === 'string' ? parseTraceSpec(input.trace) : input.trace
  const {records, format} = openRecords(spec, input.seed, {trace: spec, backend: 'http', traceFormat: input.traceFormat, skipInvalid: input.skipInvalid, read: input.read})
  run = new WallClockRun({
    records: records.batches,
    share: input.share,
    endpoint: input.endpoint,
    apiKey: readApiKey(input.endpoint),
    model: input.model,
    seed: input.seed,
    rateScale: input.rateScale,
    limit: input.limit,
    warmup: input.warmup,
    durationUs: input.durationUs,
    concurrency: input.concurrency,
    onOutcome: (outcome) => {
      outcomes.push(outcome)
      if (outcomes.length >= 256) flush()
    },
    onFailure: (failure) => {
      failures.push(failure)
      if (failures.length >= 256) flush()
    },
  })
  await run.prepare()
  post({type: 'ready'})
  const startEpochMs = await start
  if (Number.isNaN(startEpochMs)) {
    post({type: 'done', stats: null})
    return
  }
  if (stopGraceMs !== undefined) run.stop(stopGraceMs)
  const timer = setInterval(flush, 100)
  const stats = await run.run(startEpochMs)
  stats.format = format()
  clearInterval(timer)
  flush()
  post({type: 'done', stats})
}

main().catch((error: unknown) => {
  const e = error as {message?: string; exitCode?: number; name?: string}
  post({type: 'error', message: e?.message ?? String(error), name: e?.name ?? 'Error', exitCode: e?.exitCode})
})
