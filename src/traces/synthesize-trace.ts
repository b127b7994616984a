import {TracebenchError} from '../common/errors.js'
import {createRng, type SeededRandom} from '../common/seeded-random.js'
import {createPercentileSampler} from './quantile-sampler.js'
import {synthesizeAgenticSessions} from './synthesize-agentic.js'
import {agenticProfile, chatProfile, codingProfile, type RequestProfile} from './synth-profiles.js'
import type {TraceRecord, TraceSource} from './trace-record.js'

export type SynthKind = TraceSource
export const synthKinds: readonly SynthKind[] = ['chat', 'coding', 'agentic']

export interface SynthesizeTraceOptions {
  kind: SynthKind
  /** Same seed, same trace, on any machine. */
  seed: number
  /** Number of requests (turns, for agentic) to generate. */
  requests: number
  /** Mean arrival rate in requests per second (default: the profile's). */
  ratePerS?: number
  /** Agentic only: median turns per session (default 100, from hardware.md section 9.6). */
  turnsPerSession?: number
}

/**
 * A seeded synthetic trace, generated lazily in arrival order: a million requests stream
 * without being held in memory. Distributions and their sources are in synth-profiles.ts
 * and docs/traces.md.
 */
export function synthesizeTrace(options: SynthesizeTraceOptions): Iterable<TraceRecord> {
  validateOptions(options)
  return {
    [Symbol.iterator]: () => {
      // Each iteration starts from the seed again, so the iterable can be replayed.
      const rng = createRng(options.seed)
      if (options.kind === 'agentic') {
        return synthesizeAgenticSessions(agenticProfile, rng, {
          seed: options.seed,
          requests: options.requests,
          ratePerS: options.ratePerS ?? agenticProfile.ratePerS.value,
          turnsMedian: options.turnsPerSession,
        })
      }
      const profile = options.kind === 'chat' ? chatProfile : codingProfile
      return synthesizeIndependentRequests(profile, rng, options.kind, options.requests, options.ratePerS ?? profile.ratePerS.value)
    },
  }
}

/** The rate a synthesized trace of `kind` gets when none is given. */
export function defaultSynthRatePerS(kind: SynthKind): number {
  if (kind === 'agentic') return agenticProfile.ratePerS.value
  return (kind === 'chat' ? chatProfile : codingProfile).ratePerS.value
}

/** Open-loop requests with Poisson arrivals; input and output drawn independently. */
function* synthesizeIndependentRequests(
  profile: RequestProfile,
  rng: SeededRandom,
  source: SynthKind,
  requests: number,
  ratePerS: number,
): Generator<TraceRecord> {
  const drawInput = createPercentileSampler(profile.inputTokens.value)
  const drawOutput = createPercentileSampler(profile.outputTokens.value)
  const ratePerUs = ratePerS / 1e6
  let clockUs = 0
  for (let i = 0; i < requests; i++) {
    if (i > 0) clockUs += rng.exponential(ratePerUs)
    const inputTokens = Math.max(1, Math.round(drawInput(rng)))
    const outputTokens = Math.max(1, Math.round(drawOutput(rng)))
    yield {arrivalUs: Math.round(clockUs), inputTokens, outputTokens, source}
  }
}

function validateOptions(options: SynthesizeTraceOptions): void {
  if (!synthKinds.includes(options.kind)) {
    throw new TracebenchError(`kind: expected one of ${synthKinds.join(', ')}, got ${JSON.stringify(options.kind)}`)
  }
  if (!Number.isSafeInteger(options.seed)) throw new TracebenchError(`seed: expected an integer, got ${options.seed}`)
  if (!Number.isSafeInteger(options.requests) || options.requests < 1) {
    throw new TracebenchError(`requests: expected a positive integer, got ${options.requests}`)
  }
  if (options.ratePerS !== undefined && !(Number.isFinite(options.ratePerS) && options.ratePerS > 0)) {
    throw new TracebenchError(`rate: expected a positive number of requests per second, got ${options.ratePerS}`)
  }
  if (options.turnsPerSession !== undefined && !(Number.isFinite(options.turnsPerSession) && options.turnsPerSession >= 1)) {
    throw new TracebenchError(`turns: expected a number of turns of at least 1, got ${options.turnsPerSession}`)
  }
}
