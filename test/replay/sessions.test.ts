import {describe, expect, it} from 'vitest'
import {AggregatedBackend} from '../../src/backends/aggregated.js'
import type {AggregatedBackendConfig} from '../../src/backends/backend-config.js'
import {synthesizeTrace} from '../../src/traces/synthesize-trace.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {createFakeCostModel} from '../backends/fake-cost-model.js'
import {runRecords} from '../backends/run-harness.js'

const config: AggregatedBackendConfig = {
  kind: 'aggregated',
  name: 'test',
  description: 'test',
  model: 'fake-model',
  sources: ['test'],
  routing: {policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4},
  pool: {hardware: 'fake', replicas: 2, scheduler: {policy: 'chunked', maxBatchSize: 64, maxBatchedTokens: 4096, blockTokens: 16, watermarkFraction: 0.01, prefixCaching: true}},
}

describe('closed-loop sessions', () => {
  it('never starts a turn before the previous turn of its session ends (plus its think time)', async () => {
    // Recorded arrivals pack the turns closer than the backend can serve them.
    const records: TraceRecord[] = []
    for (let s = 0; s < 5; s++) {
      for (let turn = 0; turn < 6; turn++) {
        records.push({arrivalUs: s * 1000 + turn * 50_000, inputTokens: 2000 + turn * 300, outputTokens: 200, sessionId: `s${s}`, turn, thinkTimeUs: turn === 0 ? undefined : 20_000})
      }
    }
    records.sort((a, b) => a.arrivalUs - b.arrivalUs)
    const cost = createFakeCostModel()
    const {sink} = await runRecords(records, (host) => new AggregatedBackend(config, cost, host))
    expect(sink.outcomes).toHaveLength(records.length)
    const bySession = new Map<string, typeof sink.outcomes>()
    for (const o of sink.outcomes) bySession.set(o.sessionId!, [...(bySession.get(o.sessionId!) ?? []), o])
    for (const turns of bySession.values()) {
      turns.sort((a, b) => a.turn! - b.turn!)
      for (let k = 1; k < turns.length; k++) {
        const prev = turns[k - 1]!
        const next = turns[k]!
        expect(next.arrivalUs).toBeGreaterThanOrEqual(prev.completionUs + 20_000)
        expect(next.arrivalUs - (prev.completionUs + 20_000)).toBeLessThanOrEqual(1)
        expect(next.startUs).toBeGreaterThanOrEqual(prev.completionUs)
        // Session affinity keeps the prefix cached on the same replica.
        expect(next.cachedTokens).toBeGreaterThan(0)
      }
    }
  })

  it('releases a turn without think time at the later of its arrival and the previous end', async () => {
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 1000, outputTokens: 500, sessionId: 'x', turn: 0},
      {arrivalUs: 100, inputTokens: 1600, outputTokens: 10, sessionId: 'x', turn: 1},
      {arrivalUs: 90_000_000, inputTokens: 1700, outputTokens: 10, sessionId: 'x', turn: 2},
    ]
    const cost = createFakeCostModel()
    const {sink} = await runRecords(records, (host) => new AggregatedBackend(config, cost, host))
    const byTurn = new Map(sink.outcomes.map((o) => [o.turn, o]))
    expect(byTurn.get(1)!.arrivalUs).toBe(byTurn.get(0)!.completionUs)
    expect(byTurn.get(2)!.arrivalUs).toBe(90_000_000)
  })

  it('replays a synthesized agentic trace closed-loop with prefix reuse', async () => {
    const records = [...synthesizeTrace({kind: 'agentic', seed: 3, requests: 300})]
    const cost = createFakeCostModel({kvCapacityTokens: 2_000_000, prefillUsPerToken: 2})
    const {sink} = await runRecords(records, (host) => new AggregatedBackend(config, cost, host))
    expect(sink.outcomes.length + sink.failures.length).toBe(300)
    const input = sink.outcomes.reduce((s, o) => s + o.inputTokens, 0)
    const cached = sink.outcomes.reduce((s, o) => s + o.cachedTokens, 0)
    expect(cached / input).toBeGreaterThan(0.5)
  })
})
