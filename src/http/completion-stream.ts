import {createParser, type EventSourceParser} from 'eventsource-parser'

/** Server-reported token counts (`usage` in the stream's last chunk, or in every chunk with continuous usage). */
export interface StreamUsage {
  promptTokens: number
  completionTokens: number
  /** `prompt_tokens_details.cached_tokens` when the server reports it. */
  cachedTokens?: number
}

/** Why a stream failed, with a stable code (see `failureReasons` in the README). */
export interface StreamFault {
  reason: 'malformed-sse' | 'malformed-json' | 'stream-error'
  detail: string
}

/** What the reader does with each content chunk: its arrival time and the tokens it carried. */
export interface ChunkListener {
  onContent(atMs: number, tokens: number): void
}

/**
 * Reads an OpenAI streaming response (server-sent events) as it arrives: chat chunks
 * (`choices[0].delta.content`, and reasoning in `reasoning_content` or `reasoning`, which
 * counts as output) or completions chunks (`choices[0].text`), `usage`, `[DONE]`, and
 * error events. A chunk counts as content only when it carries text: the role-only first
 * chunk of a chat stream and empty keep-alive chunks do not start TTFT. The tokens of a
 * chunk are the growth of `usage.completion_tokens` when the server streams usage with
 * every chunk (vLLM's continuous usage stats), else the tokenizer's count of its text.
 */
export class CompletionStreamReader {
  answer = ''
  usage: StreamUsage | undefined
  finishReason: string | undefined
  done = false
  fault: StreamFault | undefined
  events = 0
  contentChunks = 0
  countedTokens = 0
  private readonly parser: EventSourceParser
  private readonly decoder = new TextDecoder('utf-8')
  private nowMs = 0
  private lastCompletionTokens = 0

  constructor(
    private readonly countTokens: (text: string) => number,
    private readonly listener: ChunkListener,
  ) {
    this.parser = createParser({
      onEvent: (event) => this.onEvent(event.event, event.data),
      onError: (error) => this.setFault('malformed-sse', error.message),
    })
  }

  /** Feeds bytes received at `atMs` (performance.now()). */
  feed(bytes: Uint8Array, atMs: number): void {
    this.nowMs = atMs
    this.parser.feed(this.decoder.decode(bytes, {stream: true}))
  }

  /** The end of the body: anything left over in the parser's buffer is a final event. */
  end(atMs: number): void {
    this.nowMs = atMs
    this.parser.feed(this.decoder.decode())
    this.parser.reset({consume: true})
  }

  private onEvent(type: string | undefined, data: string): void {
    if (this.fault !== undefined || this.done) return
    this.events++
    if (data === '[DONE]') {
      this.done = true
      return
    }
    let chunk: unknown
    try {
      chunk = JSON.parse(data)
    } catch {
      this.setFault('malformed-json', `event ${this.events}: not JSON: ${clip(data)}`)
      return
    }
    if (type === 'error' || (isObject(chunk) && chunk.error !== undefined && chunk.error !== null)) {
      this.setFault('stream-error', `error event in the stream: ${clip(describeError(isObject(chunk) ? (chunk.error ?? chunk) : chunk))}`)
      return
    }
    if (!isObject(chunk)) {
      this.setFault('malformed-json', `event ${this.events}: expected a JSON object, got ${clip(data)}`)
      return
    }
    const usage = readUsage(chunk.usage)
    const choice = Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : undefined
    const text = choice === undefined ? '' : choiceText(choice)
    if (choice !== undefined) {
      if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason
      this.answer += answerText(choice)
    }
    if (text !== '') {
      let tokens: number
      if (usage !== undefined && usage.completionTokens > this.lastCompletionTokens) tokens = usage.completionTokens - this.lastCompletionTokens
      else tokens = Math.max(1, this.countTokens(text))
      this.contentChunks++
      this.countedTokens += tokens
      this.listener.onContent(this.nowMs, tokens)
    }
    if (usage !== undefined) {
      this.usage = usage
      this.lastCompletionTokens = usage.completionTokens
    }
  }

  private setFault(reason: StreamFault['reason'], detail: string): void {
    this.fault ??= {reason, detail}
  }
}

function choiceText(choice: Record<string, unknown>): string {
  if (typeof choice.text === 'string') return choice.text
  const delta = choice.delta
  if (!isObject(delta)) return ''
  let text = ''
  for (const field of ['reasoning_content', 'reasoning', 'content'] as const) {
    const value = delta[field]
    if (typeof value === 'string') text += value
  }
  return text
}

/** The content an answer contributes to a session's history (reasoning is not sent back). */
function answerText(choice: Record<string, unknown>): string {
  if (typeof choice.text === 'string') return choice.text
  const delta = choice.delta
  return isObject(delta) && typeof delta.content === 'string' ? delta.content : ''
}

function readUsage(value: unknown): StreamUsage | undefined {
  if (!isObject(value)) return undefined
  const prompt = value.prompt_tokens
  const completion = value.completion_tokens
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined
  const details = value.prompt_tokens_details
  const cached = isObject(details) && typeof details.cached_tokens === 'number' ? details.cached_tokens : undefined
  return cached === undefined ? {promptTokens: prompt, completionTokens: completion} : {promptTokens: prompt, completionTokens: completion, cachedTokens: cached}
}

function describeError(error: unknown): string {
  if (isObject(error) && typeof error.message === 'string') return typeof error.code === 'string' || typeof error.code === 'number' ? `${error.code}: ${error.message}` : error.message
  return JSON.stringify(error)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}
