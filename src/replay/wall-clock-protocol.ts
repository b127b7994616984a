import type {EndpointConfig} from '../http/endpoint-config.js'
import type {TraceReadSettings} from '../traces/read-trace.js'
import type {RequestFailure, RequestOutcome} from '../metrics/request-outcome.js'
import type {TraceFormat} from '../traces/trace-record.js'
import type {TraceSpec} from './trace-spec.js'
import type {RequestShare, WallClockStats} from './wall-clock-run.js'

/** What a sending thread is started with (plain data, no key). */
export interface WallWorkerInput {
  trace: string | TraceSpec
  traceFormat?: TraceFormat
  skipInvalid?: boolean
  /** The other reader flags (--strict, --include-failed, --reorder-window). */
  read?: TraceReadSettings
  seed: number
  rateScale: number
  limit?: number
  share: RequestShare
  endpoint: EndpointConfig
  model: string
  warmup: number
  durationUs: number
  concurrency: number
}

export type MainToWorker = {type: 'start'; startEpochMs: number} | {type: 'stop'; graceMs: number}

export type WorkerToMain =
  | {type: 'ready'}
  | {type: 'batch'; outcomes: RequestOutcome[]; failures: RequestFailure[]}
  | {type: 'done'; stats: WallClockStats | null}
  | {type: 'error'; message: string; name: string; exitCode?: number}
