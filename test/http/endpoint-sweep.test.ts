import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {findCapacityDetailed} from '../../src/parallel/capacity-search.js'
import {runSweep} from '../../src/parallel/sweep.js'
import {evaluateSlo} from '../../src/metrics/read-metric.js'
import {parseSlo} from '../../src/metrics/slo.js'
import {startFixtureServer, type FixtureServer} from './fixture-server.js'

const dir = mkdtempSync(join(tmpdir(), 'tracebench-endpoint-sweep-'))
let server: FixtureServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

function trace(): string {
  const file = join(dir, 'trace.jsonl')
  writeFileSync(file, Array.from({length: 8}, (_, i) => JSON.stringify({arrivalUs: i * 40_000, inputTokens: 10, outputTokens: 4})).join('\n') + '\n')
  return file
}


describe('sweep and capacity against a real endpoint', () => {
  it('runs sweep points one after another, each a wall-clock replay', async () => {
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 5, chunkIntervalMs: 2})
    const result = await runSweep({trace: trace(), backends: [server.url, 'cs3'], rateScales: [1, 2], outDir: join(dir, 'sweep'), workers: 1, model: undefined, http: {overrides: {model: 'fixture-model'}}})
    expect(result.index.points.map((p) => p.backendName)).toEqual([server.url, server.url, 'cs3', 'cs3'])
    const [x1, x2] = result.results
    expect(x1!.backend.kind).toBe('http')
    expect(result.results[2]!.backend.kind).toBe('simulated')
    expect(x1!.counters.completed).toBe(8)
    expect(x2!.trace.rateScale).toBe(2)
    // The second point started after the first had finished: no overlap at the server.
    const first = server.requests.slice(0, 8)
    const second = server.requests.slice(8)
    expect(second).toHaveLength(8)
    expect(Math.min(...second.map((r) => r.receivedMs))).toBeGreaterThan(Math.max(...first.map((r) => r.contentChunkMs.at(-1)!)))
  })

  it('searches capacity on the wall clock, and an invalid run holds no SLO', async () => {
    server = await startFixtureServer({dialect: 'openai', firstTokenMs: 5, chunkIntervalMs: 2})
    const {result, lastPassing} = await findCapacityDetailed({
      trace: trace(),
      backend: server.url,
      slos: ['ttft.p90<=5s'],
      precision: 0.5,
      search: {startScale: 1, minScale: 0.5, maxScale: 2, pointsPerRound: 2},
      workers: 1,
      // A loose lag limit: this test is about the search, not about how busy the machine is.
      http: {overrides: {model: 'fixture-model'}, harness: {thresholds: {maxSendLagP99Ms: 1000}}},
    })
    expect(['found', 'lower-bound']).toContain(result.status)
    expect(lastPassing?.backend.kind).toBe('http')
    // The same file, marked invalid, passes nothing: capacity, claims and gate fail closed.
    const invalid = structuredClone(lastPassing!)
    invalid.http!.harness.valid = false
    invalid.http!.harness.invalidReasons = ['send lag p99 9 ms is above 5 ms']
    const evaluation = evaluateSlo(parseSlo('ttft.p90<=5s'), invalid)
    expect(evaluation.passed).toBe(false)
    expect(evaluation.reason).toBe('invalid run')
    expect(evaluateSlo(parseSlo('ttft.p90<=5s'), lastPassing!).passed).toBe(true)
  })
})
