import OpenAI from 'openai'
import {afterEach, describe, expect, it} from 'vitest'
import {startFixtureServer, type Dialect, type FixtureServer} from './fixture-server.js'

let server: FixtureServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The fixture is only a good yardstick if a real client reads it as an OpenAI stream. */
describe('the fixture server, read by the official openai SDK', () => {
  for (const dialect of ['vllm', 'sglang', 'openai'] as Dialect[]) {
    it(`streams a ${dialect}-style answer the SDK parses, with usage`, async () => {
      server = await startFixtureServer({dialect, firstTokenMs: 1, chunkIntervalMs: 1, tokensPerChunk: dialect === 'sglang' ? 2 : 1, apiKey: 'k'})
      const client = new OpenAI({baseURL: server.url, apiKey: 'k', maxRetries: 0})
      const stream = await client.chat.completions.create({model: 'fixture-model', messages: [{role: 'user', content: ' the of and'}], max_tokens: 5, stream: true, stream_options: {include_usage: true}})
      let text = ''
      let usage: {prompt_tokens: number; completion_tokens: number} | undefined
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? ''
        if (chunk.usage) usage = chunk.usage
      }
      expect(text).toBe(server.requests[0]!.answer)
      expect(text.split(' ').length - 1).toBe(5)
      expect(usage).toMatchObject({prompt_tokens: 3, completion_tokens: 5})
      const models = await client.models.list()
      expect(models.data.map((m) => m.id)).toEqual(['fixture-model'])
    })
  }
})
