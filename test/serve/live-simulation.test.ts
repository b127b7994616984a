import {describe, expect, it} from 'vitest'
import {AggregatedBackend} from '../../src/backends/aggregated.js'
import type {BackendHost} from '../../src/backends/backend.js'
import {aggregatedBackendSchema, type AggregatedBackendConfig} from '../../src/backends/backend-config.js'
import type {RequestOutcome} from '../../src/metrics/request-outcome.js'
import {LiveSimulation, type TokenListener} from '../../src/serve/live-simulation.js'
import {loadBackendConfig} from '../../src/backends/load-backend.js'
import {createSimBackend} from '../../src/backends/registry.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {createRng} from '../../src/common/seeded-random.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {createFakeCostModel} from '../backends/fake-cost-model.js'
import {runRecords} from '../backends/run-harness.js'

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

describe('LiveSimulation against a direct replay', () => {
  for (const [preset, model] of [
    ['gpu-h100', 'llama-3.1-8b'],
    ['cs3', undefined],
    ['trn3-cs3', undefined],
  ] as const) {
    it(`${preset}: requests submitted on the wall clock get exactly the replay's token times, delivered in order`, async () => {
      const catalog = loadCatalog()
      const backend = resolveBackend(loadBackendConfig(preset), catalog, {model, poolReplicas: preset === 'trn3-cs3' ? {prefill: 1, decode: 1} : {pool: 1}})
      const rng = createRng(11)
      const records: TraceRecord[] = []
      let t = 0
      for (let i = 0; i < 40; i++) {
        records.push({arrivalUs: Math.round(t), inputTokens: rng.integer(50, 6000), outputTokens: rng.integer(1, 300)})
        t += rng.exponential(40) * 1e6
      }
      const {sink} = await runRecords(records, (host) => createSimBackend(backend, host))
      const direct = sink.byIndex()

      const clock = {now: 0}
      const live = new LiveSimulation({backend, clockUs: () => clock.now, autoAdvance: false})
      const recorders = records.map(() => new Recorder(clock))
      let next = 0
      for (clock.now = 0; live.activeRequests > 0 || next < records.length; clock.now += 97) {
        while (next < records.length && records[next]!.arrivalUs <= clock.now) {
          const at = clock.now
          clock.now = records[next]!.arrivalUs
          live.submit(records[next]!, recorders[next]!)
          clock.now = at
          next++
        }
        live.runTo(clock.now)
      }
      recorders.forEach((r, i) => {
        const d = direct.get(i)!
        expect(r.outcome, `request ${i}`).not.toBeNull()
        expect(r.outcome!.firstTokenUs).toBe(d.firstTokenUs)
        expect(r.outcome!.completionUs).toBe(d.completionUs)
        expect(r.delivered).toBe(d.outputTokens)
        // Nothing before the first token, the first token within one clock step of it.
        expect(r.history[0]![0]).toBeGreaterThanOrEqual(d.firstTokenUs)
        expect(r.history[0]![0] - d.firstTokenUs).toBeLessThan(97 + 1)
      })
    })
  }
})
