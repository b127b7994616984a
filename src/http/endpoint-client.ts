import {performance} from 'node:perf_hooks'
import {Pool} from 'undici'
import {CompletionStreamReader, type StreamUsage} from './completion-stream.js'
import type {EndpointConfig} from './endpoint-config.js'

/** One streamed request as the client saw it; times are performance.now() milliseconds of this thread. */
export interface StreamResult {
  sendMs: number
  /** First chunk that carried content; undefined when none came. */
  firstContentMs: number | undefined
  lastContentMs: number | undefined
  endMs: number
  /** Inter-chunk gaps after the first content chunk, as [gapUs per token, tokens] pairs. */
  itlGapsUs: Array<[number, number]>
  events: number
  contentChunks: number
  /** Output tokens counted chunk by chunk (usage growth or the tokenizer). */
  countedTokens: number
  /** Tokens that arrived in the first content chunk (they have no gap of their own). */
  firstChunkTokens: number
  usage: StreamUsage | undefined
  finishReason: string | undefined
  /** The answer's content (what a session sends back as the assistant's turn). */
  answer: string
  /** Set when the request failed: a stable reason code and a detail without secrets. */
  failure?: {reason: string; detail: string}
}

/**
 * Streams completions from one OpenAI-compatible server over a keep-alive connection pool
 * (undici). Headers and idle gaps are timed by undici (headersTimeout, bodyTimeout); the
 * first content chunk and the whole request by a watchdog that checks every in-flight
 * request every 20 ms. Nothing is retried: a retry would change the load the trace asks
 * for, so a failure is recorded with its reason.
 */
export class EndpointClient {
  private readonly pool: Pool
  private readonly basePath: string
  private readonly headers: Record<string, string>
  private readonly inFlight = new Set<Watch>()
  private watchdog: NodeJS.Timeout | undefined
  /** Requests in flight now and the most at once (to show when the pool was the limit). */
  active = 0
  peakActive = 0
  /** Requests that found every connection busy and waited in the pool's queue. */
  waitedForConnection = 0

  constructor(
    private readonly config: EndpointConfig,
    private readonly apiKey: string | undefined,
    private readonly countTokens: (text: string) => number,
  ) {
    const url = new URL(config.url)
    this.basePath = url.pathname === '/' ? '' : url.pathname
    this.pool = new Pool(url.origin, {
      connections: config.connectionsPerWorker,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      connect: {timeout: config.timeouts.connectMs},
      headersTimeout: config.timeouts.firstTokenMs,
      bodyTimeout: config.timeouts.idleMs,
    })
    this.headers = {'content-type': 'application/json', accept: 'text/event-stream', ...config.headers}
    if (apiKey !== undefined) this.headers.authorization = `Bearer ${apiKey}`
  }

  /** The model ids of GET {url}/models. */
  async listModels(): Promise<string[]> {
    const {statusCode, body} = await this.pool.request({
      path: `${this.basePath}/models`,
      method: 'GET',
      headers: this.headers,
      headersTimeout: this.config.timeouts.connectMs + 10_000,
    })
    const text = await body.text()
    if (statusCode !== 200) throw new Error(`GET ${this.config.url}/models: HTTP ${statusCode}: ${this.redact(text.slice(0, 300))}`)
    const data = JSON.parse(text) as {data?: Array<{id?: unknown}>}
    return (data.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string')
  }

  /** Sends one streaming request (`route`: /chat/completions or /completions); never throws. */
  async stream(route: string, body: string): Promise<StreamResult> {
    const result: StreamResult = {
      sendMs: 0,
      firstContentMs: undefined,
      lastContentMs: undefined,
      endMs: 0,
      itlGapsUs: [],
      events: 0,
      contentChunks: 0,
      countedTokens: 0,
      firstChunkTokens: 0,
      usage: undefined,
      finishReason: undefined,
      answer: '',
    }
    const controller = new AbortController()
    const timeouts = this.config.timeouts
    const watch: Watch = {controller, firstTokenDeadlineMs: 0, totalDeadlineMs: 0, gotContent: false, reason: undefined}
    const reader = new CompletionStreamReader(this.countTokens, {
      onContent: (atMs, tokens) => {
        if (result.firstContentMs === undefined) {
          result.firstContentMs = atMs
          result.firstChunkTokens = tokens
          watch.gotContent = true
        } else {
          const gapUs = ((atMs - result.lastContentMs!) * 1000) / tokens
          result.itlGapsUs.push([Math.round(gapUs), tokens])
        }
        result.lastContentMs = atMs
      },
    })
    if (this.active >= this.config.connectionsPerWorker) this.waitedForConnection++
    this.active++
    if (this.active > this.peakActive) this.peakActive = this.active
    result.sendMs = performance.now()
    watch.firstTokenDeadlineMs = result.sendMs + timeouts.firstTokenMs
    watch.totalDeadlineMs = result.sendMs + timeouts.totalMs
    this.watch(watch)
    try {
      const response = await this.pool.request({path: `${this.basePath}${route}`, method: 'POST', headers: this.headers, body, signal: controller.signal})
      if (response.statusCode !== 200) {
        const text = await readSome(response.body)
        const retryAfter = response.headers['retry-after']
        const retry = retryAfter === undefined ? '' : ` (retry-after: ${String(retryAfter)})`
        this.fail(result, `http-${response.statusCode}`, `HTTP ${response.statusCode}${retry}: ${text}`)
      } else {
        const type = String(response.headers['content-type'] ?? '')
        if (!type.includes('text/event-stream')) {
          this.fail(result, 'malformed-sse', `expected a text/event-stream response, got "${type}": ${await readSome(response.body)}`)
        } else {
          for await (const bytes of response.body) {
            reader.feed(bytes as Uint8Array, performance.now())
            if (reader.fault !== undefined) break
          }
          reader.end(performance.now())
          if (reader.fault !== undefined) {
            response.body.destroy()
            this.fail(result, reader.fault.reason, reader.fault.detail)
          } else if (!reader.done && reader.finishReason === undefined) {
            this.fail(result, 'stream-truncated', `the stream ended after ${reader.events} events without [DONE] or a finish_reason`)
          } else if (reader.contentChunks === 0) {
            this.fail(result, 'no-content', `the stream finished (${reader.finishReason ?? '[DONE]'}) without any content`)
          }
        }
      }
    } catch (error) {
      this.fail(result, watch.reason ?? classifyError(error), describe(error, watch.reason))
    } finally {
      this.unwatch(watch)
      this.active--
    }
    result.endMs = performance.now()
    result.events = reader.events
    result.contentChunks = reader.contentChunks
    result.countedTokens = reader.countedTokens
    result.usage = reader.usage
    result.finishReason = reader.finishReason
    result.answer = reader.answer
    return result
  }

  /** Aborts every request in flight with reason `interrupted`. */
  abortAll(reason = 'interrupted'): void {
    for (const watch of this.inFlight) {
      watch.reason ??= reason
      watch.controller.abort()
    }
  }

  async close(): Promise<void> {
    if (this.watchdog !== undefined) clearInterval(this.watchdog)
    await this.pool.destroy()
  }

  private fail(result: StreamResult, reason: string, detail: string): void {
    result.failure ??= {reason, detail: this.redact(detail)}
  }

  /** The key never leaves in a message, whatever a server echoes back. */
  private redact(text: string): string {
    return this.apiKey === undefined || this.apiKey === '' ? text : text.split(this.apiKey).join('[redacted]')
  }

  private watch(watch: Watch): void {
    this.inFlight.add(watch)
    this.watchdog ??= setInterval(() => this.checkDeadlines(), 20)
  }

  private unwatch(watch: Watch): void {
    this.inFlight.delete(watch)
    if (this.inFlight.size === 0 && this.watchdog !== undefined) {
      clearInterval(this.watchdog)
      this.watchdog = undefined
    }
  }

  private checkDeadlines(): void {
    const now = performance.now()
    for (const watch of this.inFlight) {
      if (watch.reason !== undefined) continue
      if (now >= watch.totalDeadlineMs) watch.reason = 'total-timeout'
      else if (!watch.gotContent && now >= watch.firstTokenDeadlineMs) watch.reason = 'first-token-timeout'
      if (watch.reason !== undefined) watch.controller.abort()
    }
  }
}

interface Watch {
  controller: AbortController
  firstTokenDeadlineMs: number
  totalDeadlineMs: number
  gotContent: boolean
  /** Why the watchdog (or an interrupt) aborted it. */
  reason: string | undefined
}

/** Stable reason codes for transport errors (undici and Node socket codes). */
function classifyError(error: unknown): string {
  const codes = [errorCode(error), errorCode((error as {cause?: unknown})?.cause)]
  for (const code of codes) {
    switch (code) {
      case 'ECONNREFUSED':
        return 'connect-refused'
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'ETIMEDOUT':
        return 'connect-timeout'
      case 'UND_ERR_HEADERS_TIMEOUT':
        return 'first-token-timeout'
      case 'UND_ERR_BODY_TIMEOUT':
        return 'idle-timeout'
      case 'ECONNRESET':
      case 'EPIPE':
      case 'UND_ERR_SOCKET':
      case 'UND_ERR_CLOSED':
        return 'connection-reset'
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return 'dns-error'
      default:
    }
  }
  return 'request-error'
}

function errorCode(error: unknown): string | undefined {
  const code = (error as {code?: unknown} | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

function describe(error: unknown, reason: string | undefined): string {
  if (reason === 'interrupted') return 'stopped by an interrupt before the answer finished'
  if (reason === 'first-token-timeout') return 'no content before the first-token timeout'
  if (reason === 'total-timeout') return 'the request outlasted the total timeout'
  const e = error as {message?: string; code?: string; cause?: {message?: string; code?: string}}
  const code = e?.cause?.code ?? e?.code
  const message = e?.cause?.message ?? e?.message ?? String(error)
  return code === undefined ? message : `${code}: ${message}`
}

async function readSome(body: AsyncIterable<unknown> & {destroy?: () => void}): Promise<string> {
  let text = ''
  try {
    for await (const chunk of body) {
      text += Buffer.from(chunk as Uint8Array).toString('utf8')
      if (text.length > 500) break
    }
  } catch {
    // the detail is best effort
  }
  body.destroy?.()
  const trimmed = text.trim()
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed
}
