import type {EndpointJobOptions, ReplayOptions} from '../replay/run-replay.js'
import type {SteadyStateSettings} from '../replay/steady-state.js'
import type {TraceReadSettings} from '../traces/read-trace.js'
import {readTraceSettingsArgv} from '../traces/read-settings.js'
import type {PreparedBackend} from './prepare-backends.js'

/** What every point of a sweep or capacity search shares. */
export interface PointCommon {
  trace: string
  model?: string
  limit?: number
  seed: number
  slos: readonly string[]
  catalogFiles?: string[]
  /** Real endpoints: their flags and harness options (ignored by simulated backends). */
  http?: EndpointJobOptions
  /** Capacity points on simulated backends measure a steady state (tiled trace, scored window); sweep points replay the trace once. */
  steadyState?: SteadyStateSettings
  /** The reader flags (--format, --skip-invalid, --strict, --include-failed, --reorder-window). */
  read?: TraceReadSettings
}

/**
 * The replay of one point. Its results file records, as its command, the equivalent
 * single `tracebench replay` command line, not the sweep's: that is how to reproduce the
 * point alone, and it keeps the file byte-identical whatever the worker count or shard.
 */
export function buildPointJob(common: PointCommon, backend: PreparedBackend, rateScale: number): ReplayOptions {
  const poolReplicas = backend.footprintMatch?.poolReplicas
  const argv = ['replay', common.trace, '--backend', backend.spec, '--rate-scale', String(rateScale)]
  if (common.model !== undefined) argv.push('--model', common.model)
  if (common.limit !== undefined) argv.push('--limit', String(common.limit))
  argv.push('--seed', String(common.seed))
  for (const slo of common.slos) argv.push('--slo', slo)
  if (poolReplicas !== undefined) {
    for (const [pool, replicas] of Object.entries(poolReplicas)) argv.push('--replicas', `${pool}=${replicas}`)
  }
  for (const file of common.catalogFiles ?? []) argv.push('--catalog', file)
  // Real endpoints run on the wall clock: their points are plain runs, never tiled.
  const steady = backend.config === null ? undefined : common.steadyState
  if (steady !== undefined) {
    argv.push('--steady-state', '--window', `${steady.minWindowS}s`)
    if (steady.warmupS !== null) argv.push('--warmup-time', `${steady.warmupS}s`)
    argv.push('--max-requests', String(steady.maxRequests), '--min-delivered', String(steady.minDeliveredRatio))
  }
  if (common.read !== undefined) argv.push(...readTraceSettingsArgv(common.read))
  return {
    trace: common.trace,
    backend: backend.spec,
    model: common.model,
    rateScale,
    limit: common.limit,
    seed: common.seed,
    slos: [...common.slos],
    poolReplicas: poolReplicas === undefined ? undefined : {...poolReplicas},
    catalogFiles: common.catalogFiles,
    ...(steady === undefined ? {} : {steadyState: {...steady}}),
    ...(common.read === undefined ? {} : {read: {...common.read}}),
    argv,
    ...(common.http === undefined ? {} : {http: common.http}),
  }
}

/** `x0.25`, `x2`: the file-name form of a rate scale. */
export function formatScaleForFile(rateScale: number): string {
  return `x${rateScale}`
}
