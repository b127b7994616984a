import {describe, expect, it} from 'vitest'
import {AggregatedBackend} from '../../src/backends/aggregated.js'
import type {BackendHost} from '../../src/backends/backend.js'
import {aggregatedBackendSchema, type AggregatedBackendConfig} from '../../src/backends/backend-config.js'
import type {RequestOutcome} from '../../src/metrics/request-outcome.js'
import {LiveSimulation, type TokenListener} from '../../src/serve/live-simulation.js'
import {createFakeCostModel} from '../backends/fake-cost-model.js'

const config = aggregatedBackendSchema.parse({
  kind: 'aggregated',
  description: 'test',
  model: 'fake-model',
  sources: ['test'],
  pool: {hardware: 'fake-gpu', replicas: 1, scheduler: {policy: 'chunked', maxBatchSize: 64, maxBatchedTokens: 4096, blockTokens: 16, prefixCaching: false}},
}) as AggregatedBackendConfig

class Recorder implements TokenListener {
  delivered = 0
  /** [time, tokens so far] whenever the count changed. */
  readonly history: Array<[number, number]> = []
  outcome: RequestOutcome | null = null
  constructor(private readonly clock: {now: number}) {}
  onTokens(count: number): void {
    this.delivered += count
    this.history.push([this.clock.now, this.delivered])
  }
  onComplete(outcome: RequestOutcome): void {
    this.outcome = outcome
  }
  onFail(reason: string): void {
    throw new Error(`unexpected failure ${reason}`)
  }
}

function liveOnFakeClock() {
  const clock = {now: 0}
  const cost = createFakeCostModel()
  const live = new LiveSimulation({
    backend: (host: BackendHost) => new AggregatedBackend(config, cost, host),
    clockUs: () => clock.now,
    autoAdvance: false,
  })
  return {clock, live, cost}
}

describe('LiveSimulation', () => {
  it('hands out each token at the time it leaves, including steps inside a closed-form decode stretch', () => {
    const {clock, live, cost} = liveOnFakeClock()
    const recorder = new Recorder(clock)
    live.submit({inputTokens: 100, outputTokens: 50}, recorder)
    // Independent schedule: the prefill gives token 1, decode step j runs over 100 + j - 1 tokens of context.
    const times: number[] = [cost.prefillMs(100, 0) * 1000]
    for (let j = 1; j < 50; j++) times.push(times[j - 1]! + cost.decodeStepMs(1, 100 + j - 1) * 1000)
    for (let k = 0; k < times.length; k++) {
      clock.now = Math.floor(times[k]!) - 1
      live.runTo(clock.now)
      expect(recorder.delivered, `just before token ${k + 1}`).toBe(k)
      // (+1: the simulator's step times carry floating-point noise of a fraction of a microsecond)
      clock.now = Math.ceil(times[k]!) + 1
      live.runTo(clock.now)
      expect(recorder.delivered, `at token ${k + 1}`).toBe(k + 1)
    }
    expect(recorder.outcome?.completionUs).toBe(Math.round(times.at(-1)!))
    expect(recorder.outcome?.firstTokenUs).toBe(Math.round(times[0]!))
    expect(live.activeRequests).toBe(0)
    // One stretch covered the 49 decode steps: the tokens inside it came from the query, not from events.
    expect(live.backend.readCounters().decodeStretches).toBe(1)
  })

  it('keeps counts monotone and complete when an arrival cuts a stretch short', () => {
    const {clock, live} = liveOnFakeClock()
    const a = new Recorder(clock)
    const b = new Recorder(clock)
    live.submit({inputTokens: 200, outputTokens: 300}, a)
    for (clock.now = 0; clock.now < 600_000; clock.now += 777) {
      if (clock.now === 777 * 80) live.submit({inputTokens: 500, outputTokens: 40}, b)
      else live.runTo(clock.now)
    }
    for (const r of [a, b]) {
      expect(r.outcome).not.toBeNull()
      expect(r.delivered).toBe(r.outcome!.outputTokens)
      for (let i = 1; i < r.history.length; i++) expect(r.history[i]![1]).toBeGreaterThan(r.history[i - 1]![1])
      // The first token went out when the simulation produced it (to the fake clock's resolution).
      expect(r.history[0]![0] - r.outcome!.firstTokenUs).toBeLessThan(777)
      expect(r.history[0]![0]).toBeGreaterThanOrEqual(r.outcome!.firstTokenUs)
    }
  })
})
