import type {SeededRandom} from '../common/seeded-random.js'
import type {Simulator} from '../kernel/simulator.js'
import type {Sequence} from './sequence.js'

/** What a simulated backend needs from the replay that drives it. */
export interface BackendHost {
  readonly sim: Simulator
  /** The run's seeded generator (random routing); owned by the replay, never global. */
  readonly rng: SeededRandom
  /** A request produced its last token: record its outcome, release the session's next turn. */
  completeRequest(seq: Sequence, completionUs: number): void
  /** A request cannot be served (e.g. `exceeds-kv-capacity`). */
  failRequest(seq: Sequence, reason: string, detail: string): void
  /** `count` output tokens each came `gapUs` after the previous token of their request. */
  recordItl(gapUs: number, count: number): void
}

/** Instantaneous state, summed over replicas, for the report timelines. */
export interface BackendState {
  queueDepth: number
  batchSize: number
  /** Fraction 0..1 of the KV blocks in use, over all replicas (decode pool when disaggregated). */
  kvUsage: number
}

/**
 * A simulated serving system. The replay submits each request when it is released;
 * the backend schedules its own events on the host's simulator and reports each
 * request exactly once, completed or failed.
 */
export interface SimBackend {
  submit(seq: Sequence): void
  /** Fills `out` with the state now and returns it (the replay samples often: no object per sample). */
  readState(out: BackendState): BackendState
  /** Engine counters (iterations, closed-form stretches, preemptions, prefix-cache hits) for diagnostics. */
  readCounters(): Record<string, number>
  /**
   * Live serving: output tokens of `seq` that have reached the user by `timeUs` (not
   * before the last event handled), including decode steps inside a closed-form stretch.
   */
  deliveredTokens(seq: Sequence, timeUs: number): number
  /** Live serving: the next time after `timeUs` at which a token leaves between events (Infinity when none). */
  nextTokenTimeAfter(timeUs: number): number
}
