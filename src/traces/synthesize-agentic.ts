import type {SeededRandom} from '../common/seeded-random.js'
import {MinHeap} from './min-heap.js'
import type {AgenticProfile, ClippedLognormal} from './synth-profiles.js'
import type {TraceRecord} from './trace-record.js'

interface SessionState {
  index: number
  id: string
  turnsPlanned: number
  turn: number
  /** Open-loop arrival of the next turn, in (fractional) microseconds. */
  nextArrivalUs: number
  nextThinkUs: number
  /** Prompt tokens of the next turn. */
  promptTokens: number
  /** The hash ids of the previous prompt (or the system prompt); the next prompt shares the first `reusableCount` (full blocks only). */
  reusableIds: readonly number[]
  reusableCount: number
}

/**
 * Agentic coding sessions, generated lazily in arrival order (a heap of the sessions in
 * progress; memory grows with concurrent sessions, not with requests).
 *
 * Each turn's prompt is the previous prompt plus the previous answer plus new tool output,
 * so it shares every full 512-token block of the previous prompt: those blocks keep their
 * hash ids (chained, as in Mooncake), the rest get fresh ids. Every session starts with the
 * same system prompt blocks. When a prompt would pass `compactAtTokens`, the agent
 * compacts: the next prompt is the system prompt plus a summary, and only the system
 * blocks are reused.
 */
export function* synthesizeAgenticSessions(
  profile: AgenticProfile,
  rng: SeededRandom,
  options: {seed: number; requests: number; ratePerS: number; turnsMedian?: number},
): Generator<TraceRecord> {
  const blockSize = profile.blockSize.value
  const systemTokens = profile.systemPromptTokens.value
  const systemIds = Array.from({length: Math.floor(systemTokens / blockSize)}, (_, i) => i)
  let nextId = systemIds.length
  const turnsShape = turnsDistribution(profile.turnsPerSession.value, options.turnsMedian)
  const meanTurns = turnsShape.median * Math.exp((turnsShape.sigma * turnsShape.sigma) / 2)
  const sessionRatePerUs = options.ratePerS / meanTurns / 1e6
  const active = new MinHeap<SessionState>((a, b) => a.nextArrivalUs < b.nextArrivalUs || (a.nextArrivalUs === b.nextArrivalUs && a.index < b.index))

  let planned = 0
  let emitted = 0
  let sessionsStarted = 0
  let nextStartUs = 0
  while (emitted < options.requests) {
    const top = active.peek()
    if (planned < options.requests && (top === undefined || nextStartUs <= top.nextArrivalUs)) {
      const turnsPlanned = Math.min(options.requests - planned, Math.round(drawClipped(rng, turnsShape)))
      planned += turnsPlanned
      active.push({
        index: sessionsStarted,
        id: `agentic-${options.seed}-${sessionsStarted}`,
        turnsPlanned,
        turn: 0,
        nextArrivalUs: nextStartUs,
        nextThinkUs: 0,
        promptTokens: systemTokens + Math.round(drawClipped(rng, profile.taskPromptTokens.value)),
        reusableIds: systemIds,
        reusableCount: systemIds.length,
      })
      sessionsStarted++
      nextStartUs += rng.exponential(sessionRatePerUs)
      continue
    }
    const session = active.pop() as SessionState
    const inputTokens = session.promptTokens
    const blocks = Math.ceil(inputTokens / blockSize)
    const reused = Math.min(session.reusableCount, blocks)
    // Sized once: a slice of the shared ids grown by pushes was copied again as it grew.
    const hashIds = new Array<number>(blocks)
    const reusable = session.reusableIds
    for (let i = 0; i < reused; i++) hashIds[i] = reusable[i]!
    for (let i = reused; i < blocks; i++) hashIds[i] = nextId++
    const outputTokens = Math.round(drawClipped(rng, profile.outputTokens.value))
    const arrivalUs = Math.round(session.nextArrivalUs)
    const record: TraceRecord = {arrivalUs, inputTokens, outputTokens, sessionId: session.id, turn: session.turn}
    if (session.turn > 0) record.thinkTimeUs = Math.round(session.nextThinkUs)
    record.hashIds = hashIds
    record.blockSize = blockSize
    record.source = 'agentic'
    emitted++
    yield record

    session.turn++
    if (session.turn >= session.turnsPlanned) continue
    const toolTokens = Math.round(drawClipped(rng, profile.toolResultTokens.value))
    const thinkUs = drawClipped(rng, profile.thinkTimeS.value) * 1e6
    const grown = inputTokens + outputTokens + toolTokens
    if (grown > profile.compactAtTokens.value) {
      session.promptTokens = systemTokens + Math.round(drawClipped(rng, profile.compactedSummaryTokens.value))
      session.reusableIds = systemIds
      session.reusableCount = systemIds.length
    } else {
      session.promptTokens = grown
      // The record's ids, not a copy of them: the next turn copies what it shares.
      session.reusableIds = hashIds
      session.reusableCount = Math.floor(inputTokens / blockSize)
    }
    const {fixedS, perOutputTokenS} = profile.nominalResponse.value
    session.nextThinkUs = thinkUs
    session.nextArrivalUs += (fixedS + perOutputTokenS * outputTokens) * 1e6 + thinkUs
    active.push(session)
  }
}

function turnsDistribution(base: ClippedLognormal, medianOverride: number | undefined): ClippedLognormal {
  if (medianOverride === undefined) return base
  return {median: medianOverride, sigma: base.sigma, min: 1, max: Math.max(medianOverride * 4, 1)}
}

function drawClipped(rng: SeededRandom, shape: ClippedLognormal): number {
  const value = rng.lognormal(Math.log(shape.median), shape.sigma)
  return Math.min(shape.max, Math.max(shape.min, value))
}
