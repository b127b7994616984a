import OpenAI from 'openai'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createCostModel} from '../../src/cost/cost-model.js'
import type {SimServer} from '../../src/serve/sim-server.js'
import {promptOf, startTestServer} from './serve-fixture.js'

let server: SimServer
let client: OpenAI
const model = 'llama-3.1-8b'

beforeAll(async () => {
  server = await startTestServer()
  client = new OpenAI({baseURL: server.url, apiKey: 'unused', maxRetries: 0, timeout: 20_000})
})

afterAll(async () => {
  await server.close()
})

/** OpenAI SDK params with vLLM's extra fields (not in the SDK's types). */
function extra<T>(params: T, fields: Record<string, unknown>): T {
  return {...params, ...fields}
}

describe('tracebench serve (OpenAI SDK as the client)', () => {
  it('answers a chat completion with the requested length and exact usage', async () => {
    const response = await client.chat.completions.create(extra({model, messages: [{role: 'user' as const, content: promptOf(40, 1)}], max_tokens: 12}, {ignore_eos: true}))
    expect(response.object).toBe('chat.completion')
    expect(response.usage).toMatchObject({prompt_tokens: 40, completion_tokens: 12, total_tokens: 52})
    expect(response.choices[0]!.finish_reason).toBe('length')
    expect(response.choices[0]!.message.content!.split(' ').filter(Boolean)).toHaveLength(12)
  })

  it('streams a chat completion token by token, at the simulated times, with the usage chunk', async () => {
    const input = 600
    const output = 30
    const started = performance.now()
    const stream = await client.chat.completions.create(
      extra({model, messages: [{role: 'user' as const, content: promptOf(input, 2)}], max_tokens: output, stream: true as const, stream_options: {include_usage: true}}, {ignore_eos: true}),
    )
    let firstContentMs = -1
    let lastContentMs = -1
    let contentChunks = 0
    let usage: OpenAI.CompletionUsage | undefined
    let finish: string | null = null
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage
      const choice = chunk.choices[0]
      if (choice?.delta.content) {
        if (firstContentMs < 0) firstContentMs = performance.now() - started
        lastContentMs = performance.now() - started
        contentChunks++
      }
      if (choice?.finish_reason) finish = choice.finish_reason
    }
    expect(contentChunks).toBe(output)
    expect(finish).toBe('length')
    expect(usage).toMatchObject({prompt_tokens: input, completion_tokens: output})
    // Alone on an idle replica: TTFT is the prefill, then one decode step per token.
    const cost = createCostModel({hardware: 'h100-sxm', model, precision: 'bf16'})
    const prefillMs = cost.prefillMs(input, 0)
    let decodeMs = 0
    for (let j = 1; j < output; j++) decodeMs += cost.decodeStepMs(1, input + j - 1)
    // No token leaves before the simulation produces it, and the tokens are paced by the
    // decode steps, not sent in one burst at the end (a stalled test machine may delay the
    // first token, hence half). Upper bounds on a loaded machine would measure the machine.
    expect(firstContentMs).toBeGreaterThanOrEqual(prefillMs - 1)
    expect(lastContentMs).toBeGreaterThanOrEqual(prefillMs + decodeMs - 1)
    expect(lastContentMs - firstContentMs).toBeGreaterThanOrEqual(decodeMs / 2)
  })

  it('streams a text completion', async () => {
    const stream = await client.completions.create(extra({model, prompt: promptOf(20, 3), max_tokens: 8, stream: true as const}, {ignore_eos: true}))
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? ''
    expect(text.split(' ').filter(Boolean)).toHaveLength(8)
  })

  it('without ignore_eos draws the length (at least min_tokens, at most max_tokens) and says why it stopped', async () => {
    const responses = await Promise.all(
      Array.from({length: 6}, (_, i) => client.completions.create(extra({model, prompt: promptOf(10, 10 + i), max_tokens: 100}, {min_tokens: 5}))),
    )
    const lengths: number[] = []
    for (const response of responses) {
      const n = response.usage!.completion_tokens
      lengths.push(n)
      expect(n).toBeGreaterThanOrEqual(5)
      expect(n).toBeLessThanOrEqual(100)
      expect(response.choices[0]!.finish_reason).toBe(n === 100 ? 'length' : 'stop')
    }
    expect(new Set(lengths).size).toBeGreaterThan(1)
  })

  it('lists its model and accepts the catalog aliases', async () => {
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toEqual([model])
    const health = await (await fetch(server.url.replace(/\/v1$/, '/health'))).json()
    expect(health).toMatchObject({status: 'ok', model})
  })

  it('answers errors in the OpenAI format with the right status', async () => {
    await expect(client.chat.completions.create({model: 'gpt-7', messages: [{role: 'user', content: 'hi'}]})).rejects.toMatchObject({status: 404, code: 'model_not_found'})
    // Llama 3.1 8B holds 131,072 tokens of context.
    await expect(client.completions.create({model, prompt: promptOf(140_000, 4), max_tokens: 4})).rejects.toMatchObject({status: 413, code: 'context_length_exceeded'})
    await expect(client.completions.create({model, prompt: promptOf(131_000, 5), max_tokens: 500})).rejects.toMatchObject({status: 400, code: 'context_length_exceeded'})
    await expect(client.chat.completions.create({model, messages: [], max_tokens: 4})).rejects.toMatchObject({status: 400})
    await expect(client.completions.create(extra({model, prompt: 'x y', max_tokens: 4}, {min_tokens: 9}))).rejects.toMatchObject({status: 400, param: 'min_tokens'})
    const base = server.url
    const badJson = await fetch(`${base}/completions`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"model": '})
    expect(badJson.status).toBe(400)
    expect((await badJson.json()).error.message).toMatch(/not valid JSON/)
    expect((await fetch(`${base}/embeddings`, {method: 'POST', body: '{}'})).status).toBe(405)
    const missing = await fetch(`${base}/nothing`)
    expect(missing.status).toBe(404)
    expect((await missing.json()).error.type).toBe('NotFoundError')
    expect((await fetch(`${base}/chat/completions`)).status).toBe(405)
  })

  it('exposes vLLM metric names in Prometheus text', async () => {
    const text = await (await fetch(server.url.replace(/\/v1$/, '/metrics'))).text()
    for (const name of [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:time_to_first_token_seconds_bucket',
      'vllm:inter_token_latency_seconds_count',
      'vllm:e2e_request_latency_seconds_sum',
      'vllm:generation_tokens_total',
      'tracebench:clock_lag_seconds_bucket',
    ]) {
      expect(text).toContain(name)
    }
    const ttftCount = /vllm:time_to_first_token_seconds_count\{model_name="llama-3.1-8b"\} (\d+)/.exec(text)
    expect(Number(ttftCount?.[1])).toBe(server.served.completed)
    expect(server.served.completed).toBeGreaterThanOrEqual(9)
  })
})
