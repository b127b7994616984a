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
      if (options.kind === 'agentic') return synthesizeAgentic(options)
      const requests = new IndependentRequests(options)
      return {
        next: (): IteratorResult<TraceRecord> => {
          const record = requests.next()
          return record === undefined ? {done: true, value: undefined} : {done: false, value: record}
        },
      }
    },
  }
}

/**
 * The same records as synthesizeTrace, `size` at a time (the replay's input): chat and
 * coding requests are generated straight into each batch, without an iterator step per
 * record, which a replay of tens of millions of synthesized requests notices.
 */
export function synthesizeTraceBatches(options: SynthesizeTraceOptions, size = 1024): {next(): IteratorResult<TraceRecord[]>} {
  validateOptions(options)
  if (options.kind === 'agentic') {
    const turns = synthesizeAgentic(options)
    return {
      next: () => {
        const batch: TraceRecord[] = []
        for (let turn = turns.next(); turn.done !== true; turn = turns.next()) {
          batch.push(turn.value)
          if (batch.length === size) break
        }
        return batch.length === 0 ? {done: true, value: undefined} : {done: false, value: batch}
      },
    }
  }
  const requests = new IndependentRequests(options)
  return {
    next: () => {
      const batch: TraceRecord[] = []
      for (let record = requests.next(); record !== undefined; record = requests.next()) {
        batch.push(record)
        if (batch.length === size) break
      }
      return batch.length === 0 ? {done: true, value: undefined} : {done: false, value: batch}
    },
  }
}

function synthesizeAgentic(options: SynthesizeTraceOptions): Iterator<TraceRecord> {
  return synthesizeAgenticSessions(agenticProfile, createRng(options.seed), {
    seed: options.seed,
    requests: options.requests,
    ratePerS: options.ratePerS ?? agenticProfile.ratePerS.value,
    turnsMedian: options.turnsPerSession,
  })
}

/** The rate a synthesized trace of `kind` gets when none is given. */
export function defaultSynthRatePerS(kind: SynthKind): number {
  if (kind === 'agentic') return agenticProfile.ratePerS.value
  return (kind === 'chat' ? chatProfile : codingProfile).ratePerS.value
}

/** Open-loop requests with Poisson arrivals; input and output drawn independently. */
class IndependentRequests {
  private readonly rng: SeededRandom
  private readonly drawInput: (rng: SeededRandom) => number
  private readonly drawOutput: (rng: SeededRandom) => number
  private readonly source: SynthKind
  private readonly requests: number
  private readonly ratePerUs: number
  private clockUs = 0
  private made = 0

  constructor(options: SynthesizeTraceOptions) {
    const profile: RequestProfile = options.kind === 'chat' ? chatProfile : codingProfile
    this.rng = createRng(options.seed)
    this.drawInput = createPercentileSampler(profile.inputTokens.value)
    this.drawOutput = createPercentileSampler(profile.outputTokens.value)
    this.source = options.kind
    this.requests = options.requests
    this.ratePerUs = (options.ratePerS ?? profile.ratePerS.value) / 1e6
  }

  /** The next request, or undefined after the last. */
  next(): TraceRecord | undefined {
    if (this.made >= this.requests) return undefined
    const rng = this.rng
    if (this.made++ > 0) this.clockUs += rng.exponential(this.ratePerUs)
    const inputTokens = Math.max(1, Math.round(this.drawInput(rng)))
    const outputTokens = Math.max(1, Math.round(this.drawOutput(rng)))
    return {arrivalUs: Math.round(this.clockUs), inputTokens, outputTokens, source: this.source}
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
