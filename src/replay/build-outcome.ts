import type {Sequence} from '../backends/sequence.js'
import type {StreamResult} from '../http/endpoint-client.js'
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

/**
 * One outcome object to fill again for every request, for sinks that only read it during
 * the call: an object per request was a fifth of a replay's garbage. `sessionId` and
 * `turn` are always present (undefined when the request has none), so the object keeps
 * one shape; serialized, it is the same as buildOutcome's.
 */
export function createReusableOutcome(): RequestOutcome {
  return {
    index: 0,
    arrivalUs: 0,
    startUs: 0,
    firstTokenUs: 0,
    completionUs: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    kvTransferUs: 0,
    itlGapsUs: [],
    preemptions: 0,
    sessionId: undefined,
    turn: undefined,
  }
}

/** buildOutcome into an object from createReusableOutcome. */
export function fillOutcome(outcome: RequestOutcome, seq: Sequence, completionUs: number): RequestOutcome {
  outcome.index = seq.index
  outcome.arrivalUs = seq.arrivalUs
  outcome.startUs = Math.round(seq.startUs)
  outcome.firstTokenUs = Math.round(seq.firstTokenUs)
  outcome.completionUs = Math.round(completionUs)
  outcome.inputTokens = seq.inputTokens
  outcome.outputTokens = seq.outputTokens
  outcome.cachedTokens = seq.cachedTokens
  outcome.kvTransferUs = Math.round(seq.kvTransferUs)
  outcome.preemptions = seq.preemptions
  outcome.sessionId = seq.sessionId
  outcome.turn = seq.turn
  return outcome
}

export function buildFailure(seq: Sequence, reason: string, detail: string): RequestFailure {
  return {index: seq.index, arrivalUs: seq.arrivalUs, reason, detail}
}

/** A real request's schedule and send, as the wall-clock driver knew it. */
export interface SentRequest {
  index: number
  /** Scheduled send (open loop) or closed-loop release, µs from the run's start. */
  arrivalUs: number
  /** Actual send, µs from the start (fractional). */
  sendUs: number
  /** sendUs - arrivalUs, whole µs, at least 0. */
  lagUs: number
  sessionId?: string
  turn?: number
}

/**
 * The metrics record of a streamed answer. TTFT runs from the scheduled arrival (so a late
 * send cannot hide queueing) to the first chunk that carried content. `startUs` is the
 * actual send, so `queue` is the client's own send lag; the server's queueing is inside
 * TTFT. Output tokens are the server's count (`usage`) when it reported one, else the
 * tokens counted chunk by chunk; input tokens likewise, else the intended count.
 */
export function outcomeFromStream(sent: SentRequest, result: StreamResult, toRunUs: (ms: number) => number, intendedInputTokens: number): RequestOutcome {
  const usage = result.usage
  const outcome: RequestOutcome = {
    index: sent.index,
    arrivalUs: sent.arrivalUs,
    startUs: Math.round(sent.sendUs),
    firstTokenUs: Math.round(toRunUs(result.firstContentMs!)),
    completionUs: Math.round(toRunUs(result.lastContentMs!)),
    inputTokens: usage?.promptTokens ?? intendedInputTokens,
    outputTokens: usage?.completionTokens ?? result.countedTokens,
    cachedTokens: usage?.cachedTokens ?? 0,
    kvTransferUs: 0,
    itlGapsUs: result.itlGapsUs,
    preemptions: 0,
    sendLagUs: sent.lagUs,
  }
  if (sent.sessionId !== undefined) outcome.sessionId = sent.sessionId
  if (sent.turn !== undefined) outcome.turn = sent.turn
  return outcome
}

export function failureFromStream(sent: SentRequest, failure: {reason: string; detail: string}): RequestFailure {
  return {index: sent.index, arrivalUs: sent.arrivalUs, reason: failure.reason, detail: failure.detail}
}
