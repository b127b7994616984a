import type {Footprint, ResultsFile} from '../metrics/results-file.js'
import type {SteadyStateSettings} from '../replay/steady-state.js'

/**
 * What claims need from the simulator and the parallel layer, as one small interface:
 * the default implementation (default-engine.ts) runs replays and capacity searches on
 * the worker pool; tests pass a fake with known numbers to check the claim logic alone.
 * Requests are plain data (they travel to worker threads).
 */

export interface ReplayRequest {
  /** Trace file (absolute path). */
  trace: string
  limit: number | null
  /** Backend preset name or absolute backend file path. */
  backend: string
  model: string
  rateScale: number
  seed: number
  slos: string[]
}

export interface CapacityRequest {
  trace: string
  limit: number | null
  backend: string
  model: string
  /** SLO expressions that must hold at the capacity point. */
  slos: string[]
  /** Per-user speed floor in tok/s (the "high-speed" in high-speed token capacity), or null. */
  minUserSpeed: number | null
  /** `racks=4`: scale the backend to this footprint before the search; null: as configured. */
  footprintMatch: string | null
  /** Relative precision (0.02 = 2%); null: the search's default. */
  precision: number | null
  seed: number
  /** Steady-state settings of the search's points (replay/steady-state.ts); absent: the defaults. Optional. */
  steadyState?: Partial<SteadyStateSettings>
}

export interface CapacityMeasurement {
  /**
   * found: within the precision; not-reachable: fails even at the lowest load; lower-bound:
   * still passes at the highest; too-short: the trace cannot be made long enough to measure
   * a steady load (no value).
   */
  status: 'found' | 'not-reachable' | 'lower-bound' | 'too-short'
  /** The search's one line for people (why there is no value, for too-short). Optional. */
  message?: string
  /** Rate scale of the last passing point (null when not reachable). */
  rateScale: number | null
  requestsPerS: number | null
  /** High-speed token capacity: output tok/s at the capacity point from requests at or above the speed floor (all output when there is no floor). */
  outputTokensPerS: number | null
  /** What the backend occupied in the search (after footprint matching). */
  footprint: Footprint
  /** The results file of the last passing point, or null. */
  results: ResultsFile | null
  /** A point above the lowest failing one passed (load is not monotone), as the search reports it. */
  nonMonotone: boolean
  /** Replays the search ran. */
  evaluations: number
  /**
   * found only: (first failing rate scale / last passing) - 1 reached by the search, so
   * the true capacity lies between the value and about value x (1 + this). Optional.
   */
  achievedPrecision?: number | null
}

export interface DecodeSpeedRequest {
  backend: string
  model: string
  /** Context (tokens already in the KV cache) of the single decoding sequence. */
  contextTokens: number
}

export interface DecodeSpeedMeasurement {
  /** 1000 / step ms: the per-user speed of one sequence decoding alone. */
  tokensPerS: number
  stepMs: number
  /** Which roofline term bound the step (compute, memory, latency). */
  bound: string
  /** Hardware of the decode pool (the pool itself for aggregated backends). */
  hardware: string
  pool: string
  /** Tokens of KV cache one decode replica holds; the context must fit (optional: checked when given). */
  kvCapacityTokens?: number
  /** Chips (CS-3 systems) of one decode replica, for messages. */
  chipsPerReplica?: number
  /** Wafer decode pools: the predicted speed's range when the model is not calibrated there (optional). */
  speedUncertainty?: {relativeRange: [number, number]; why: string}
}

export interface ClaimsEngine {
  replay(request: ReplayRequest): Promise<ResultsFile>
  capacity(request: CapacityRequest): Promise<CapacityMeasurement>
  /** Batch-1 decode from the cost model; throws a TracebenchError when the model does not fit. */
  decodeSpeed(request: DecodeSpeedRequest): DecodeSpeedMeasurement
  close(): Promise<void>
}
