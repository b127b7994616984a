import {Flags} from '@oclif/core'
import {TracebenchError} from '../common/errors.js'
import {endpointApis, type EndpointApi, type EndpointOverrides} from './endpoint-config.js'

/**
 * Flags for replaying against a real endpoint (`--backend http://HOST:PORT/v1` or an
 * endpoint file), shared by replay, sweep and capacity. There is no flag that takes a
 * key: only the name of the environment variable that holds it.
 */
export const endpointFlags = {
  api: Flags.option({description: 'real endpoints: chat (/v1/chat/completions) or completions (/v1/completions); default chat', options: endpointApis as unknown as EndpointApi[]})(),
  'api-key-env': Flags.string({description: 'real endpoints: the environment variable that holds the API key (default OPENAI_API_KEY when set)'}),
  tokenizer: Flags.string({description: "real endpoints: a Hugging Face tokenizer.json to size prompts with (default: the bundled o200k_base)"}),
  'ignore-eos': Flags.boolean({description: 'real endpoints: send ignore_eos and min_tokens (vLLM, SGLang) so answers have the trace\'s output length', allowNo: true}),
  connections: Flags.integer({description: 'real endpoints: keep-alive connections per sending thread (default 256)', min: 1}),
  'request-timeout': Flags.string({description: 'real endpoints: total timeout of one request in seconds (default 900)'}),
  'first-token-timeout': Flags.string({description: 'real endpoints: timeout to the first content chunk in seconds (default 300)'}),
  warmup: Flags.integer({description: 'real endpoints: send the first N requests without recording them', min: 0}),
  duration: Flags.string({description: 'real endpoints: send nothing scheduled later than this many seconds after the start'}),
  concurrency: Flags.integer({description: 'real endpoints: at most N requests in flight (closed loop); default: open loop', min: 1}),
  'max-send-lag': Flags.string({description: 'real endpoints: the run is invalid when the p99 send lag is above this (ms; default 5)'}),
  'send-workers': Flags.integer({description: 'real endpoints: sending threads (default: cores - 1, at least 1)', min: 1}),
}

/** replay only: sweeps and capacity searches run their points one after another, each starting when ready. */
export const startAtFlag = {
  'start-at': Flags.string({description: 'real endpoints: common start time of every shard (ISO 8601 or epoch ms), e.g. for a Kubernetes Indexed Job'}),
}

export interface EndpointFlagValues {
  model?: string
  api?: EndpointApi
  'api-key-env'?: string
  tokenizer?: string
  'ignore-eos'?: boolean
  connections?: number
  'request-timeout'?: string
  'first-token-timeout'?: string
  warmup?: number
  duration?: string
  concurrency?: number
  'start-at'?: string
  'max-send-lag'?: string
  'send-workers'?: number
}

export function endpointOverrides(flags: EndpointFlagValues): EndpointOverrides {
  return {
    model: flags.model,
    api: flags.api,
    apiKeyEnv: flags['api-key-env'],
    tokenizer: flags.tokenizer,
    ignoreEos: flags['ignore-eos'],
    connectionsPerWorker: flags.connections,
    timeouts: {
      totalMs: secondsToMs(flags['request-timeout'], '--request-timeout'),
      firstTokenMs: secondsToMs(flags['first-token-timeout'], '--first-token-timeout'),
    },
  }
}

/** The wall-clock options of a run against an endpoint (a subset of EndpointReplayOptions). */
export interface HarnessOptions {
  warmup?: number
  durationS?: number
  concurrency?: number
  startAt?: string
  workers?: number
  thresholds?: {maxSendLagP99Ms: number}
}

/** The harness options of a wall-clock run from the flags. */
export function harnessOptions(flags: EndpointFlagValues): HarnessOptions {
  const duration = flags.duration === undefined ? undefined : positiveNumber(flags.duration, '--duration', 'seconds')
  const lag = flags['max-send-lag'] === undefined ? undefined : positiveNumber(flags['max-send-lag'], '--max-send-lag', 'milliseconds')
  return {
    warmup: flags.warmup,
    durationS: duration,
    concurrency: flags.concurrency,
    startAt: flags['start-at'],
    workers: flags['send-workers'],
    thresholds: lag === undefined ? undefined : {maxSendLagP99Ms: lag},
  }
}

function secondsToMs(text: string | undefined, flag: string): number | undefined {
  return text === undefined ? undefined : Math.round(positiveNumber(text, flag, 'seconds') * 1000)
}

function positiveNumber(text: string, flag: string, unit: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new TracebenchError(`${flag}: expected a positive number of ${unit}, got "${text}"`)
  return value
}
