/** The real engine (simulator, cost model, capacity search) in process: the wiring, not the numbers. */
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {createDefaultEngine} from '../../src/claims/default-engine.js'
import {loadBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {TracebenchError} from '../../src/common/errors.js'

const chat = join(import.meta.dirname, '..', '..', 'traces', 'chat.jsonl')

describe('default claims engine (workers: 1, in process)', () => {
  test('decode speed is 1000 / the batch-1 decode step of the decode pool', async () => {
    const engine = createDefaultEngine({workers: 1})
    const d = engine.decodeSpeed({backend: 'trn3-cs3', model: 'llama-3.3-70b', contextTokens: 1500})
    const backend = resolveBackend(loadBackendConfig('trn3-cs3'), loadCatalog(), {model: 'llama-3.3-70b'})
    const decode = backend.pools.find((p) => p.name === 'decode')!
    expect(d).toMatchObject({pool: 'decode', hardware: 'cs3'})
    expect(d.tokensPerS).toBeCloseTo(1000 / decode.cost.decodeStepTime(1, 1500).ms, 9)
    // The decode replica's KV capacity travels with the speed, so the claims layer can check the context fits:
    // 4 CS-3 x 40 GB usable - 141.1 GB of Llama-70B weights at 327,680 B/token.
    expect(d).toMatchObject({kvCapacityTokens: decode.cost.kvCapacityTokens, chipsPerReplica: 4})
    expect(d.kvCapacityTokens).toBe(57_614)
    expect(() => engine.decodeSpeed({backend: 'gpu-h100', model: 'llama-3.1-405b', contextTokens: 1000})).toThrow(TracebenchError)
    await engine.close()
  })

  test('replays and capacity searches run through the pool and return results files', async () => {
    const engine = createDefaultEngine({workers: 1})
    const results = await engine.replay({trace: chat, limit: 40, backend: 'cs3', model: 'llama-3.3-70b', rateScale: 1, seed: 1, slos: []})
    expect(results.counters.requests).toBe(40)
    expect(results.command.slice(0, 3)).toEqual(['replay', chat, '--backend'])
    const capacity = await engine.capacity({
      trace: chat,
      limit: 60,
      backend: 'cs3',
      model: 'llama-3.3-70b',
      slos: ['ttft.p90<=2s'],
      minUserSpeed: 1000,
      footprintMatch: null,
      precision: 0.2,
      seed: 1,
      // Short windows and few requests per point keep this wiring test fast.
      steadyState: {minWindowS: 20, warmupS: 2, maxRequests: 20_000},
    })
    expect(['found', 'lower-bound']).toContain(capacity.status)
    expect(capacity.outputTokensPerS).toBeGreaterThan(0)
    expect(capacity.footprint.racks).toBe(4)
    expect(capacity.results?.slos).toEqual(['ttft.p90<=2000ms', 'userSpeed.p10>=1000'])
    expect(capacity.evaluations).toBeGreaterThan(1)
    expect(capacity.results?.steadyState).toMatchObject({minWindowS: 20, warmupS: 2, sustained: true})
    // found: the search's achieved precision bounds how far above the value the true capacity may lie.
    expect(capacity.status).toBe('found')
    expect(capacity.achievedPrecision).toBeGreaterThan(0)
    expect(capacity.achievedPrecision).toBeLessThanOrEqual(0.2)
    await engine.close()
  })
})
