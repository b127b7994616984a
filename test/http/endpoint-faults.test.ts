import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {resolveEndpoint, type EndpointConfig} from '../../src/http/endpoint-config.js'
import {runEndpointReplay} from '../../src/replay/run-endpoint-replay.js'
import {startFixtureServer, type Fault, type FixtureServer} from './fixture-server.js'

const dir = mkdtempSync(join(tmpdir(), 'tracebench-faults-'))
let server: FixtureServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

function writeTrace(name: string, rows: Array<Record<string, unknown>>): string {
  const file = join(dir, name)
  writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`)
  return file
}

const faults: Array<[Fault, string]> = [
  ['http-429', 'http-429'],
  ['http-500', 'http-500'],
  ['reset', 'connection-reset'],
  ['first-token-stall', 'first-token-timeout'],
  ['idle-stall', 'idle-timeout'],
  ['slow-stream', 'total-timeout'],
  ['malformed-sse', 'malformed-sse'],
  ['malformed-json', 'malformed-json'],
  ['error-event', 'stream-error'],
  ['truncated', 'stream-truncated'],
]

describe('failures of a real endpoint', () => {
  it('counts each injected fault under its reason code, never a crash', async () => {
    // Every other request is healthy; the rest carry one fault each.
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 10, chunkIntervalMs: 5, stallMs: 1500, slowIntervalMs: 200, faultFor: (n) => (n % 2 === 1 ? faults[(n - 1) / 2]?.[0] : undefined)})
    const endpoint: EndpointConfig = {...resolveEndpoint(server.url), timeouts: {connectMs: 2000, firstTokenMs: 500, idleMs: 500, totalMs: 1200}}
    const rows = Array.from({length: faults.length * 2}, (_, i) => ({arrivalUs: i * 40_000, inputTokens: 10, outputTokens: 8}))
    const results = await runEndpointReplay({trace: writeTrace('faults.jsonl', rows), endpoint, workers: 1, concurrency: 1})
    const expected = Object.fromEntries(faults.map(([, reason]) => [reason, 1]))
    expect(results.counters.failureReasons).toEqual(expected)
    expect(results.counters.completed).toBe(faults.length)
    expect(results.counters.requests).toBe(faults.length * 2)
  })

  it('reports refused connections when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const {port: free} = probe.address() as {port: number}
        probe.close(() => resolve(free))
      })
    })
    const endpoint = resolveEndpoint(`http://127.0.0.1:${port}/v1`, {model: 'm'})
    const results = await runEndpointReplay({trace: writeTrace('refused.jsonl', [{arrivalUs: 0, inputTokens: 5, outputTokens: 2}, {arrivalUs: 1000, inputTokens: 5, outputTokens: 2}]), endpoint, workers: 1})
    expect(results.counters.failureReasons).toEqual({'connect-refused': 2})
    expect(results.counters.completed).toBe(0)
  })
})

describe('what the server is sent', () => {
  it('sends each session turn with the history actually received, closed loop', async () => {
    server = await startFixtureServer({dialect: 'sglang', firstTokenMs: 5, chunkIntervalMs: 2})
    const rows = []
    for (const s of ['a', 'b']) {
      rows.push({arrivalUs: s === 'a' ? 0 : 1000, inputTokens: 30, outputTokens: 5, sessionId: s, turn: 0})
      rows.push({arrivalUs: 2000, inputTokens: 60, outputTokens: 5, sessionId: s, turn: 1, thinkTimeUs: 50_000})
      rows.push({arrivalUs: 3000, inputTokens: 20, outputTokens: 4, sessionId: s, turn: 2, thinkTimeUs: 10_000})
    }
    rows.sort((x, y) => x.arrivalUs - y.arrivalUs)
    const results = await runEndpointReplay({trace: writeTrace('sessions.jsonl', rows), endpoint: resolveEndpoint(server.url), workers: 2})
    expect(results.counters.completed).toBe(6)
    expect(results.trace.sessions).toBe(2)
    type Msg = {role: string; content: string}
    const bySession = (first: string): Array<{messages: Msg[]; receivedMs: number; lastMs: number; answer: string}> =>
      server!.requests
        .map((r) => ({messages: r.body.messages as Msg[], receivedMs: r.receivedMs, lastMs: r.contentChunkMs.at(-1)!, answer: r.answer}))
        .filter((r) => r.messages[0]!.content === first)
    const firsts = server.requests.filter((r) => (r.body.messages as Msg[]).length === 1 && (r.body.messages as Msg[])[0]!.content.split(' ').length - 1 === 30)
    expect(firsts).toHaveLength(2)
    for (const first of firsts) {
      const turns = bySession((first.body.messages as Msg[])[0]!.content)
      // Turn 1: the first prompt, the answer the server gave, then 60 - 30 - 5 new tokens.
      const turn1 = turns.find((t) => t.messages.length === 3)!
      const turn0 = turns.find((t) => t.messages.length === 1)!
      expect(turn1.messages[0]).toEqual(turn0.messages[0])
      expect(turn1.messages[1]).toEqual({role: 'assistant', content: turn0.answer})
      expect(turn0.answer.split(' ').length - 1).toBe(5)
      expect(turn1.messages[2]!.content.split(' ').length - 1).toBe(60 - 30 - 5)
      // Released after turn 0's last token plus the 50 ms think time.
      expect(turn1.receivedMs - turn0.lastMs).toBeGreaterThanOrEqual(49)
      // Turn 2 asks for 20 tokens, fewer than the history (65): the client dropped its context and starts afresh.
      const turn2 = server.requests.filter((r) => r.n > 0 && (r.body.messages as Msg[]).length === 1 && (r.body.messages as Msg[])[0]!.content.split(' ').length - 1 === 20)
      expect(turn2.length).toBeGreaterThanOrEqual(1)
    }
    // The answer the server sent is what comes back: the fixture's answers are its own words.
    const answered = server.requests.flatMap((r) => (r.body.messages as Msg[]).filter((m) => m.role === 'assistant'))
    expect(answered).toHaveLength(2)
    expect(results.http!.tokens.intended.inputTokens).toBe(2 * (30 + 60 + 20))
  })

  it('turns shared hash ids into shared prompt prefixes (completions API)', async () => {
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 2, chunkIntervalMs: 1})
    const rows = [
      {arrivalUs: 0, inputTokens: 40, outputTokens: 2, hashIds: [7, 8, 9], blockSize: 16},
      {arrivalUs: 10_000, inputTokens: 48, outputTokens: 2, hashIds: [7, 8, 5], blockSize: 16},
      {arrivalUs: 20_000, inputTokens: 16, outputTokens: 2, hashIds: [6], blockSize: 16},
    ]
    const results = await runEndpointReplay({trace: writeTrace('hash.jsonl', rows), endpoint: resolveEndpoint(server.url, {api: 'completions', model: 'm'}), workers: 1})
    expect(results.counters.completed).toBe(3)
    const words = (n: number): string[] => String(server!.requests.find((r) => r.n === n)!.body.prompt).split(' ').slice(1)
    const [a, b, c] = [words(0), words(1), words(2)]
    expect([a.length, b.length, c.length]).toEqual([40, 48, 16])
    expect(a.slice(0, 32)).toEqual(b.slice(0, 32))
    expect(a.slice(32, 40)).not.toEqual(b.slice(32, 40))
    expect(c.slice(0, 8)).not.toEqual(a.slice(0, 8))
    expect(server.requests.every((r) => r.body.stream === true && (r.body.stream_options as {include_usage: boolean}).include_usage)).toBe(true)
  })
})
