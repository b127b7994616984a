import type {Counters, GoodputCounters} from './results-file.js'

/** The integer totals a run (or a merge of runs) adds up; every rate is derived from them. */
export interface CounterTotals {
  completed: number
  failed: number
  failureReasons: Record<string, number>
  inputTokens: number
  outputTokens: number
  cachedTokens: number
  preemptions: number
  /** null when the run had no SLOs (goodput undefined). */
  good: {requests: number; outputTokens: number} | null
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000

/**
 * Counters with their rates over a measured duration. One function for the recorder and
 * for merges, so a merged file and a single run compute rates the same way. A zero
 * duration gives null rates ("no data"), never 0 or Infinity.
 */
export function computeCounters(totals: CounterTotals, durationUs: number): Counters {
  const durationS = durationUs / 1e6
  const perS = (n: number): number | null => (durationS > 0 ? round3(n / durationS) : null)
  const requests = totals.completed + totals.failed
  const reasons: Record<string, number> = {}
  for (const key of Object.keys(totals.failureReasons).sort()) reasons[key] = totals.failureReasons[key] as number
  let goodput: GoodputCounters | null = null
  if (totals.good !== null) {
    goodput = {
      requests: totals.good.requests,
      outputTokens: totals.good.outputTokens,
      requestsPerS: perS(totals.good.requests),
      outputTokensPerS: perS(totals.good.outputTokens),
      ratio: requests > 0 ? totals.good.requests / requests : null,
    }
  }
  return {
    requests,
    completed: totals.completed,
    failed: totals.failed,
    failureReasons: reasons,
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    cachedTokens: totals.cachedTokens,
    preemptions: totals.preemptions,
    outputTokensPerS: perS(totals.outputTokens),
    requestsPerS: perS(totals.completed),
    goodput,
  }
}
