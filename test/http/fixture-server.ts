import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {performance} from 'node:perf_hooks'

/** How a streaming server of each family writes its chunks. */
export type Dialect = 'vllm' | 'sglang' | 'openai'

/** A fault the server injects into one request. */
export type Fault =
  | 'http-429'
  | 'http-500'
  | 'reset'
  | 'first-token-stall'
  | 'idle-stall'
  | 'slow-stream'
  | 'malformed-sse'
  | 'malformed-json'
  | 'error-event'
  | 'truncated'

export interface FixtureOptions {
  dialect: Dialect
  /** From the request's arrival to the first content chunk. */
  firstTokenMs: number
  /** Between content chunks. */
  chunkIntervalMs: number
  /** Tokens per content chunk (SGLang-style multi-token chunks when > 1). */
  tokensPerChunk?: number
  /** The fault for the n-th request received (0-based), if any. */
  faultFor?: (n: number) => Fault | undefined
  /** Expected Authorization header; others get 401. */
  apiKey?: string
  /** Stalls (first-token-stall, idle-stall) last this long. */
  stallMs?: number
  /** Gap between chunks of a slow-stream fault. */
  slowIntervalMs?: number
  models?: string[]
}

/** What the server saw and did for one request, with its own timestamps (epoch ms, comparable across threads). */
export interface ServedRequest {
  n: number
  body: Record<string, unknown>
  authorization: string | undefined
  receivedMs: number
  firstContentMs: number | undefined
  contentChunkMs: number[]
  tokens: number
  /** The text streamed back. */
  answer: string
  fault: Fault | undefined
}

export interface FixtureServer {
  url: string
  requests: ServedRequest[]
  close(): Promise<void>
}

/** Each one token in o200k_base, so the client's count of a chunk matches the fixture's. */
const answerWords = [' the', ' of', ' and', ' to', ' in', ' is', ' it', ' you', ' that', ' for', ' was', ' on']
const nowMs = (): number => performance.timeOrigin + performance.now()
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A loopback OpenAI-compatible streaming server for tests: answers /v1/models and streams
 * /v1/chat/completions and /v1/completions in the vLLM, SGLang or OpenAI dialect with known
 * timing, recording its own timestamps, and injects faults. It listens on 127.0.0.1 only,
 * on a port the OS picks, and answers each request with exactly `max_tokens` tokens.
 */
export async function startFixtureServer(options: FixtureOptions): Promise<FixtureServer> {
  const requests: ServedRequest[] = []
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy())
  })
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedMs = nowMs()
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      res.writeHead(401, {'content-type': 'application/json'}).end('{"error":{"message":"bad key"}}')
      return
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({object: 'list', data: (options.models ?? ['fixture-model']).map((id) => ({id, object: 'model'}))}))
      return
    }
    let raw = ''
    for await (const chunk of req) raw += chunk
    const body = JSON.parse(raw) as Record<string, unknown>
    const n = requests.length
    const fault = options.faultFor?.(n)
    const served: ServedRequest = {n, body, authorization: req.headers.authorization, receivedMs, firstContentMs: undefined, contentChunkMs: [], tokens: 0, answer: '', fault}
    requests.push(served)
    const chat = req.url === '/v1/chat/completions'
    const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 16)
    if (fault === 'http-429') {
      res.writeHead(429, {'content-type': 'application/json', 'retry-after': '2'}).end('{"error":{"message":"rate limited"}}')
      return
    }
    if (fault === 'http-500') {
      res.writeHead(500, {'content-type': 'application/json'}).end('{"error":{"message":"engine died"}}')
      return
    }
    const dialect = options.dialect
    const eol = dialect === 'sglang' ? '\r\n' : '\n'
    res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'})
    const id = `cmpl-${n}`
    const event = (data: unknown): string => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}${eol}${eol}`
    const chunk = (delta: Record<string, unknown> | string, finish: string | null = null, usage?: unknown): Record<string, unknown> => ({
      id,
      object: chat ? 'chat.completion.chunk' : 'text_completion',
      model: body.model,
      choices: [chat ? {index: 0, delta, finish_reason: finish} : {index: 0, text: delta, finish_reason: finish}],
      ...(usage === undefined ? {} : {usage}),
    })
    const write = async (text: string): Promise<void> => {
      if (dialect === 'openai' && text.length > 8) {
        // Events split across TCP writes.
        const cut = Math.floor(text.length / 2)
        res.write(text.slice(0, cut))
        await sleep(1)
        res.write(text.slice(cut))
      } else {
        res.write(text)
      }
    }
    if (chat && dialect !== 'sglang') await write(event(chunk({role: 'assistant', content: ''})))
    if (dialect === 'sglang') await write(`: keep-alive${eol}`)
    const promptTokens = countPromptWords(body)
    if (fault === 'malformed-sse') {
      await write(`this is not an event${eol}${eol}`)
    } else if (fault === 'malformed-json') {
      await write(`data: {"choices": [oops${eol}${eol}`)
    }
    const firstWait = fault === 'first-token-stall' ? (options.stallMs ?? 2000) : options.firstTokenMs
    await sleep(firstWait)
    if (fault === 'error-event') {
      await write(event({error: {message: 'out of KV cache', code: 503}}))
      res.end()
      return
    }
    const perChunk = options.tokensPerChunk ?? 1
    let sent = 0
    while (sent < maxTokens) {
      if (res.destroyed) return
      const tokens = Math.min(perChunk, maxTokens - sent)
      sent += tokens
      const text = Array.from({length: tokens}, (_, i) => answerWords[(n + sent - tokens + i) % answerWords.length]).join('')
      const at = nowMs()
      served.firstContentMs ??= at
      served.contentChunkMs.push(at)
      served.tokens = sent
      served.answer += text
      await write(event(chunk(chat ? {content: text} : text)))
      if (fault === 'reset' && sent >= 2) {
        res.socket?.destroy()
        return
      }
      if (fault === 'truncated' && sent >= 2) {
        res.end()
        return
      }
      if (fault === 'idle-stall' && sent >= 2) await sleep(options.stallMs ?? 2000)
      if (sent < maxTokens) await sleep(fault === 'slow-stream' ? (options.slowIntervalMs ?? 200) : options.chunkIntervalMs)
    }
    const usage = {prompt_tokens: promptTokens, completion_tokens: sent, total_tokens: promptTokens + sent}
    await write(event(chunk(chat ? {} : '', 'length')))
    await write(event({id, object: 'chat.completion.chunk', model: body.model, choices: [], usage}))
    await write(event('[DONE]'))
    res.end()
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Words of the prompt: with the prompt builder's one-token words, the prompt's tokens (the fixture's "tokenizer"). */
function countPromptWords(body: Record<string, unknown>): number {
  const text = Array.isArray(body.messages) ? (body.messages as Array<{content: string}>).map((m) => m.content).join('') : String(body.prompt ?? '')
  return text.split(' ').length - 1
}
