import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {resolveEndpoint} from '../../src/http/endpoint-config.js'
import {decodeHistogram} from '../../src/metrics/histograms.js'
import {validateResults} from '../../src/metrics/results-file.js'
import {runEndpointReplay} from '../../src/replay/run-endpoint-replay.js'
import {startFixtureServer, type Dialect, type FixtureServer} from './fixture-server.js'

const dir = mkdtempSync(join(tmpdir(), 'tracebench-endpoint-'))
let server: FixtureServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** A native trace: `count` open-loop requests `gapMs` apart. */
function writeTrace(name: string, rows: Array<Record<string, unknown>>): string {
  const file = join(dir, name)
  writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`)
  return file
}

function openLoop(count: number, gapMs: number, input = 20, output = 8): Array<Record<string, unknown>> {
  return Array.from({length: count}, (_, i) => ({arrivalUs: i * gapMs * 1000, inputTokens: input, outputTokens: output}))
}

describe('replay against an OpenAI-compatible server', () => {
  for (const dialect of ['vllm', 'sglang', 'openai'] as Dialect[]) {
    it(`measures TTFT, ITL and tokens against the ${dialect} dialect's own timestamps`, async () => {
      server = await startFixtureServer({dialect, firstTokenMs: 40, chunkIntervalMs: 10, tokensPerChunk: dialect === 'sglang' ? 2 : 1})
      const trace = writeTrace(`${dialect}.jsonl`, openLoop(12, 20))
      const results = await runEndpointReplay({trace, endpoint: resolveEndpoint(server.url), workers: 1})
      expect(results.backend.kind).toBe('http')
      expect(results.backend.model).toBe('fixture-model')
      expect(results.counters.completed).toBe(12)
      expect(results.counters.failed).toBe(0)
      expect(results.counters.outputTokens).toBe(12 * 8)
      expect(results.counters.inputTokens).toBe(12 * 20)
      const http = results.http!
      expect(http.tokens.intended.inputTokens).toBe(12 * 20)
      expect(http.tokens.difference).toEqual({inputTokens: 0, outputTokens: 0})
      expect(http.tokens.chunks.tokens).toBe(12 * 8)
      expect(http.tokens.chunks.maxTokensPerChunk).toBe(dialect === 'sglang' ? 2 : 1)
      // The client's TTFT from its send is the server's (40 ms after the role-only chunk) plus
      // loopback and parsing: never less. Upper bounds are loose: the machine is shared.
      const serverTtft = server.requests.map((r) => r.firstContentMs! - r.receivedMs)
      const clientFromSend = http.harness.ttftFromSend
      expect(clientFromSend.count).toBe(12)
      expect(Math.min(...serverTtft)).toBeGreaterThanOrEqual(39)
      expect(clientFromSend.min!).toBeGreaterThanOrEqual(Math.min(...serverTtft) - 0.5)
      expect(clientFromSend.p50!).toBeLessThan(Math.max(...serverTtft) + 250)
      // ITL: chunks 10 ms apart (as the server wrote them), spread over their tokens.
      const perChunk = dialect === 'sglang' ? 2 : 1
      const serverGaps = server.requests.flatMap((r) => r.contentChunkMs.slice(1).map((t, i) => t - r.contentChunkMs[i]!))
      const serverMeanPerToken = serverGaps.reduce((a, b) => a + b, 0) / serverGaps.length / perChunk
      expect(results.metrics.itl.count).toBe(12 * (8 - perChunk))
      // Loose bounds: a client stalled by a busy machine reads a late first chunk and the next
      // ones in a burst, which shortens its span; a wrong unit or token count is far outside.
      expect(results.metrics.itl.mean!).toBeGreaterThan(serverMeanPerToken * 0.5)
      expect(results.metrics.itl.mean!).toBeLessThan(serverMeanPerToken * 1.5 + 5)
      // TPOT spans first to last content chunk, over the server's token count (8 tokens, 7 gaps).
      expect(results.metrics.tpot.mean!).toBeGreaterThan(((serverMeanPerToken * perChunk * (8 / perChunk - 1)) / 7) * 0.5)
      // TTFT from the schedule includes the send lag, so it is at least TTFT from the send.
      expect(results.metrics.ttft.p50!).toBeGreaterThanOrEqual(clientFromSend.p50! - 0.01)
      expect(decodeHistogram(http.harness.sendLag.histogram).totalCount).toBe(12)
      expect(http.harness.sent).toBe(12)
      expect(results.definitions.ttft!.formula).toContain('first streamed chunk that carries content')
      // The harness histograms are checked on read like the metrics' own.
      const tampered = structuredClone(results)
      tampered.http!.harness.sendLag.count += 1
      expect(() => validateResults(tampered, 'x.json')).toThrow(/x\.json: http\.harness\.sendLag\.count is 13 but its histogram holds 12 values/)
    })
  }
})

describe('warm-up, duration limit and concurrency cap', () => {
  it('sends warm-up requests unrecorded, stops at the duration, and holds back requests over the cap', async () => {
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 30, chunkIntervalMs: 2})
    // 10 requests 50 ms apart: 3 warm-up, then sends up to 0.38 s (requests 3..7), 8 and 9 past the limit.
    const trace = writeTrace('limits.jsonl', openLoop(10, 50, 10, 4))
    const results = await runEndpointReplay({trace, endpoint: resolveEndpoint(server.url), workers: 1, warmup: 3, durationS: 0.38, concurrency: 1})
    expect(server.requests).toHaveLength(8)
    expect(results.counters.requests).toBe(5)
    const h = results.http!.harness
    expect(h.warmup).toBe(3)
    expect(h.notSent).toBe(2)
    expect(h.concurrency).toBe(1)
    // One at a time: each request reached the server after the previous one's last chunk.
    for (let i = 1; i < server.requests.length; i++) {
      expect(server.requests[i]!.receivedMs).toBeGreaterThanOrEqual(server.requests[i - 1]!.contentChunkMs.at(-1)!)
    }
  })
})
