/** What kind of traffic a request represents. */
export type TraceSource = 'chat' | 'coding' | 'agentic'

/**
 * One request of a workload trace, whatever format it came from.
 *
 * Times are integer microseconds from the start of the trace so that sub-millisecond
 * gaps (Azure 2023 has 1,501 gaps under 1 ms in the code trace) survive.
 */
export interface TraceRecord {
  /** Scheduled arrival, integer microseconds from the trace start (first request = 0 after normalisation). */
  arrivalUs: number
  /** Prompt tokens (including any cached prefix). */
  inputTokens: number
  /** Tokens the model generates. */
  outputTokens: number
  /** Conversation or agent-task id; requests of one session are replayed closed-loop. */
  sessionId?: string
  /** 0-based turn number inside the session. */
  turn?: number
  /**
   * Think or tool time before this turn, in microseconds, measured from the end of the
   * previous turn of the same session. When set, a replay releases the turn at
   * (previous turn's last token + thinkTimeUs) rather than at arrivalUs.
   */
  thinkTimeUs?: number
  /** Prefix-cache block ids (chained: sharing id k implies sharing the whole prefix up to k). */
  hashIds?: number[]
  /** Tokens per hash block (512 for Mooncake). */
  blockSize?: number
  /** Model name as recorded in the trace (free text, never trusted as markup). */
  model?: string
  /** Traffic class. */
  source?: TraceSource
}

/** Trace formats tracebench reads. */
export type TraceFormat = 'azure' | 'burstgpt' | 'mooncake' | 'native'
export const traceFormats: readonly TraceFormat[] = ['azure', 'burstgpt', 'mooncake', 'native']
