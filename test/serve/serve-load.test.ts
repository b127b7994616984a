import {describe, expect, it} from 'vitest'
import {promptOf, startTestServer} from './serve-fixture.js'

/** Reads an SSE response to its end; returns the data payloads. */
async function readEvents(response: Response): Promise<string[]> {
  const text = await response.text()
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
}

function streamRequest(url: string, prompt: string, maxTokens: number): Promise<Response> {
  return fetch(`${url}/completions`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({model: 'llama-3.1-8b', prompt, max_tokens: maxTokens, ignore_eos: true, stream: true, stream_options: {include_usage: true}}),
  })
}

describe('tracebench serve under load', () => {
  it('holds 1,000 concurrent streams and ends them cleanly on shutdown (an error event and [DONE], not a reset)', async () => {
    // 4 replicas x 16 running sequences: 64 streams decode, the rest wait in the queue
    // with their streams open. Answers of 5,000 tokens cannot finish during the test, so
    // all 1,000 streams are open at once however slowly the machine connects them.
    const server = await startTestServer({replicas: 4, maxBatchSize: 16})
    const streams = 1000
    const responses = await Promise.all(Array.from({length: streams}, (_, i) => streamRequest(server.url, promptOf(30, i), 5000)))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    expect(server.live.activeRequests).toBe(streams)
    expect(server.live.readState()).toMatchObject({batchSize: 64, queueDepth: streams - 64})
    const reading = responses.map(readEvents)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const lag = await server.close()
    const events = await Promise.all(reading)
    let tokens = 0
    for (const payloads of events) {
      expect(payloads.at(-1)).toBe('[DONE]')
      expect(JSON.parse(payloads.at(-2)!)).toMatchObject({error: {code: 'shutting_down'}})
      tokens += payloads.filter((p) => p.includes('"text"')).length
    }
    expect(tokens).toBeGreaterThanOrEqual(64)
    expect(lag.maxStreams).toBe(streams)
  }, 60_000)

  it('reports when its simulated clock falls behind the wall clock', async () => {
    const windows: Array<{p99Ms: number | null; maxStreams: number}> = []
    const server = await startTestServer({lagWindowMs: 100, maxLagMs: 5, onBehind: (w) => windows.push(w)})
    try {
      const response = streamRequest(server.url, promptOf(20, 1), 2000)
      await response
      await new Promise((resolve) => setTimeout(resolve, 150))
      // Hold the event loop for 30 ms: the wake-ups due meanwhile run that late.
      const until = performance.now() + 30
      while (performance.now() < until) {
        // busy
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
      expect(windows.length).toBeGreaterThan(0)
      expect(Math.max(...windows.map((w) => w.p99Ms ?? 0))).toBeGreaterThanOrEqual(25)
      expect(windows[0]!.maxStreams).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('a client that goes away stops getting tokens; its request still finishes in the simulation and is counted', async () => {
    const server = await startTestServer()
    try {
      const abort = new AbortController()
      const response = await fetch(`${server.url}/completions`, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({model: 'llama-3.1-8b', prompt: promptOf(20, 2), max_tokens: 40, ignore_eos: true, stream: true}),
        signal: abort.signal,
      })
      const reader = response.body!.getReader()
      await reader.read()
      abort.abort()
      for (let i = 0; i < 100 && server.live.activeRequests > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(server.live.activeRequests).toBe(0)
      expect(server.served).toMatchObject({completed: 1, failed: 0})
    } finally {
      await server.close()
    }
  })
})
