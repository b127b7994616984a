/**
 * The contract between a backend (simulated or real) and the metrics recorder: one
 * record per finished request. Times are integer microseconds on the replay clock
 * (virtual time for simulations, wall time since start for real endpoints).
 */
export interface RequestOutcome {
  /** Index of the request in the trace (0-based, file order). */
  index: number
  /** Scheduled arrival (after rate scaling, or the closed-loop release time for session turns). */
  arrivalUs: number
  /** When the request was admitted to a batch (prefill started). */
  startUs: number
  /**
   * When the first output token reaches the user. The simulator's prefill produces it (its
   * last iteration), so TTFT = queueing + prefill. On a disaggregated backend it reaches the
   * user when the KV transfer lands on the decode side (TTFT = queueing + prefill + any wait
   * for decode-side KV memory + transfer), not after a decode step; a one-token request
   * completes at the end of its prefill, with no transfer. Real endpoints: the first
   * streamed token's arrival.
   */
  firstTokenUs: number
  /** Last output token produced. */
  completionUs: number
  inputTokens: number
  outputTokens: number
  /** Prompt tokens served from a prefix cache (not recomputed). */
  cachedTokens: number
  /** Time spent on the KV transfer between prefill and decode pools (0 when aggregated). */
  kvTransferUs: number
  /**
   * Inter-token gaps as run-length pairs [gapUs, count]: a simulator advancing many decode
   * steps in closed form reports one pair per stretch instead of one value per token.
   */
  itlGapsUs: Array<[number, number]>
  /** Times the request was preempted (evicted and recomputed). */
  preemptions: number
  /**
   * Real endpoints only: how late the request left the client versus its scheduled
   * arrival (client-side send lag), so a run can show the harness was not the bottleneck.
   */
  sendLagUs?: number
  sessionId?: string
  turn?: number
}

export interface RequestFailure {
  index: number
  arrivalUs: number
  /** A short, stable reason code, e.g. `exceeds-kv-capacity`, `http-500`, `timeout`. */
  reason: string
  /** Human-readable detail. */
  detail?: string
}

/** A sample of system state for the timelines in reports. */
export interface StateSample {
  tUs: number
  queueDepth: number
  batchSize: number
  /** Fraction 0..1 of KV-cache capacity in use. */
  kvUsage: number
}
