import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {resolveEndpoint} from '../../src/http/endpoint-config.js'
import {mergeResults} from '../../src/metrics/merge.js'
import {runEndpointReplay} from '../../src/replay/run-endpoint-replay.js'
import {startFixtureServer, type FixtureServer} from './fixture-server.js'

let server: FixtureServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('--shard i/n with --start-at', () => {
  it('splits whole sessions between shards that start together, and merge joins them over one window', async () => {
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 3, chunkIntervalMs: 1})
    const rows = []
    for (let s = 0; s < 8; s++) for (let t = 0; t < 3; t++) rows.push({arrivalUs: s * 10_000 + t, inputTokens: 10 + 20 * t, outputTokens: 4, sessionId: `s${s}`, turn: t, thinkTimeUs: 5000})
    rows.sort((a, b) => a.arrivalUs - b.arrivalUs)
    const trace = join(mkdtempSync(join(tmpdir(), 'tracebench-shards-')), 'sessions.jsonl')
    writeFileSync(trace, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`)
    const startAt = new Date(Date.now() + 1500).toISOString()
    const endpoint = resolveEndpoint(server.url, {model: 'm'})
    const parts = await Promise.all([0, 1].map((index) => runEndpointReplay({trace, endpoint, workers: 1, shard: {index, count: 2}, startAt})))
    expect(parts[0]!.counters.completed + parts[1]!.counters.completed).toBe(24)
    expect(parts[0]!.counters.completed % 3).toBe(0) // sessions are never split
    expect(parts[0]!.counters.completed).toBeGreaterThan(0)
    expect(parts[1]!.counters.completed).toBeGreaterThan(0)
    const merged = mergeResults(parts, {labels: ['shard-0.json', 'shard-1.json']})
    expect(merged.counters.completed).toBe(24)
    expect(merged.http!.shards).toEqual(['0/2', '1/2'])
    expect(merged.http!.harness.sent).toBe(24)
    // The shards ran at the same time: the merged window is their union, not the sum.
    const union = (Math.max(...parts.map((p) => p.window.endUs)) - Math.min(...parts.map((p) => p.window.startUs))) / 1e6
    expect(merged.window.durationS).toBeCloseTo(union, 5)
    expect(merged.window.durationS).toBeLessThan(parts[0]!.window.durationS + parts[1]!.window.durationS)
  })
})
