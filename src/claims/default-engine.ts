import {listPools} from '../backends/backend-config.js'
import {loadBackendConfig} from '../backends/load-backend.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import type {ResultsFile} from '../metrics/results-file.js'
import {findCapacityDetailed} from '../parallel/capacity-search.js'
import {parseFootprintTarget} from '../parallel/footprint-target.js'
import {createReplayPool, type ReplayPool} from '../parallel/pool.js'
import {resolve} from 'node:path'
import type {ReplayOptions} from '../replay/run-replay.js'
import type {TraceReadSettings} from '../traces/read-trace.js'
import type {ClaimsEngine, DecodeSpeedMeasurement} from './claims-engine.js'

export interface DefaultEngineOptions {
  /** Replays at once (default: chosen from the work; see ReplayPoolOptions.workers); 1 replays in process. */
  workers?: number
  /** An existing pool to share (not closed by the engine). */
  pool?: ReplayPool
  /** Aborting it (Ctrl-C) stops the measurements running: they reject with RunStoppedError. */
  signal?: AbortSignal
  /**
   * The reader flags for the claims file's trace files. Traces tracebench wrote itself (the
   * sensitivity sweep's, under `derivedTraceDir`) are native and read without a format.
   */
  read?: TraceReadSettings
  derivedTraceDir?: string
}

/**
 * The engine behind `tracebench claims`: replays and capacity searches on the worker
 * pool (issue 5's findCapacity, rounds evaluated in parallel), batch-1 decode speed from
 * the cost model of the backend's decode pool. Every request goes to the same pool, so
 * independent claims keep all workers busy.
 */
export function createDefaultEngine(options: DefaultEngineOptions = {}): ClaimsEngine {
  const pool = options.pool ?? createReplayPool({workers: options.workers})
  const ownsPool = options.pool === undefined
  const readFor = (trace: string): TraceReadSettings | undefined => {
    if (options.read === undefined) return undefined
    const derived = options.derivedTraceDir !== undefined && resolve(trace).startsWith(resolve(options.derivedTraceDir))
    return derived ? {...options.read, format: undefined} : options.read
  }
  return {
    async replay(request) {
      const job: ReplayOptions = {
        trace: request.trace,
        backend: request.backend,
        model: request.model,
        rateScale: request.rateScale,
        seed: request.seed,
        slos: request.slos,
        argv: replayArgv(request.trace, request.backend, request.model, request.rateScale, request.limit, request.seed),
        ...(request.limit === null ? {} : {limit: request.limit}),
        ...(readFor(request.trace) === undefined ? {} : {read: readFor(request.trace)}),
      }
      const [results] = await pool.run([job], undefined, {signal: options.signal})
      return results as ResultsFile
    },
    async capacity(request) {
      const details = await findCapacityDetailed({
        trace: request.trace,
        backend: request.backend,
        model: request.model,
        slos: request.slos,
        minUserSpeed: request.minUserSpeed ?? undefined,
        limit: request.limit ?? undefined,
        seed: request.seed,
        footprint: request.footprintMatch === null ? null : parseFootprintTarget(request.footprintMatch),
        precision: request.precision ?? undefined,
        steadyState: request.steadyState,
        outDir: null,
        pool,
        read: readFor(request.trace),
        signal: options.signal,
      })
      const r = details.result
      return {
        status: r.status,
        rateScale: r.status === 'not-reachable' ? null : r.rateScale,
        requestsPerS: r.status === 'not-reachable' ? 0 : r.requestsPerS,
        outputTokensPerS: r.status === 'not-reachable' ? 0 : r.outputTokensPerS,
        footprint: r.footprint,
        results: details.lastPassing ?? details.firstFailing,
        nonMonotone: r.nonMonotone,
        evaluations: r.evaluations.length,
        achievedPrecision: r.status === 'found' ? r.achievedPrecision : null,
        message: r.message,
      }
    },
    decodeSpeed(request): DecodeSpeedMeasurement {
      const config = loadBackendConfig(request.backend)
      const resolved = resolveBackend(config, loadCatalog(), {model: request.model})
      const [poolName] = listPools(config).at(-1) as [string, unknown]
      const decodePool = resolved.pools.find((p) => p.name === poolName)!
      const step = decodePool.cost.decodeStepTime(1, request.contextTokens)
      return {
        tokensPerS: 1000 / step.ms,
        stepMs: step.ms,
        bound: step.bound,
        hardware: decodePool.config.hardware,
        pool: poolName,
        kvCapacityTokens: decodePool.cost.kvCapacityTokens,
        chipsPerReplica: decodePool.cost.chipsPerReplica,
        ...(decodePool.decodeSpeed === null || decodePool.decodeSpeed.calibrated ? {} : {speedUncertainty: decodePool.decodeSpeed}),
      }
    },
    async close() {
      if (ownsPool) await pool.close()
    },
  }
}

/** The equivalent `tracebench replay` command, recorded in the results file for provenance. */
function replayArgv(trace: string, backend: string, model: string, rateScale: number, limit: number | null, seed: number): string[] {
  const argv = ['replay', trace, '--backend', backend, '--model', model, '--rate-scale', String(rateScale), '--seed', String(seed)]
  if (limit !== null) argv.push('--limit', String(limit))
  return argv
}
