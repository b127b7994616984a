import type {Sequence} from '../backends/sequence.js'
import type {RequestFailure, RequestOutcome} from '../metrics/request-outcome.js'

/**
 * The metrics record of a finished sequence. Virtual time is fractional inside the
 * simulator; outcomes carry whole microseconds (rounded), as the contract says.
 * `itlGapsUs` is empty: simulated backends report gaps per replica, straight to the
 * recorder (see ReplayRun.recordItl).
 */
export function buildOutcome(seq: Sequence, completionUs: number): RequestOutcome {
  const outcome: RequestOutcome = {
    index: seq.index,
    arrivalUs: seq.arrivalUs,
    startUs: Math.round(seq.startUs),
    firstTokenUs: Math.round(seq.firstTokenUs),
    completionUs: Math.round(completionUs),
    inputTokens: seq.inputTokens,
    outputTokens: seq.outputTokens,
    cachedTokens: seq.cachedTokens,
    kvTransferUs: Math.round(seq.kvTransferUs),
    itlGapsUs: [],
    preemptions: seq.preemptions,
  }
  if (seq.sessionId !== undefined) outcome.sessionId = seq.sessionId
  if (seq.turn !== undefined) outcome.turn = seq.turn
  return outcome
}

export function buildFailure(seq: Sequence, reason: string, detail: string): RequestFailure {
  return {index: seq.index, arrivalUs: seq.arrivalUs, reason, detail}
}
