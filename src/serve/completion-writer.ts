import type {ServerResponse} from 'node:http'
import type {RequestOutcome} from '../metrics/request-outcome.js'
import type {TokenListener} from './live-simulation.js'
import {ApiError, type CompletionApi} from './openai-requests.js'

export interface CompletionWriterOptions {
  api: CompletionApi
  /** `cmpl-N` or `chatcmpl-N`. */
  id: string
  model: string
  promptTokens: number
  /** The answer, one piece of text per output token. */
  pieces: readonly string[]
  /** Whether the answer stops at max_tokens (`length`) or before it (`stop`). */
  finishReason: 'length' | 'stop'
  stream: boolean
  includeUsage: boolean
  /** Called once when the response has ended (for any reason). */
  onEnd: (writer: CompletionWriter, outcome: RequestOutcome | null) => void
}

/**
 * One completion's HTTP response in OpenAI's format. Streaming: the headers go out when
 * the request joins the simulation, then one SSE chunk per token as the tokens leave
 * the simulated backend (tokens that leave together go in one write), the finish
 * reason on the last token's chunk as vLLM does, the usage chunk when asked, `[DONE]`.
 * Not streaming: one JSON body when the last token has left.
 */
export class CompletionWriter implements TokenListener {
  private sent = 0
  private started = false
  private ended = false
  /** The client went away: nothing more is written, but the request is still accounted for when it ends. */
  private detached = false
  private cachedTokens = 0
  private readonly created = Math.floor(Date.now() / 1000)
  private readonly chunkHead: string
  private readonly chunkTail: string

  constructor(
    private readonly res: ServerResponse,
    private readonly options: CompletionWriterOptions,
  ) {
    const object = options.api === 'chat' ? 'chat.completion.chunk' : 'text_completion'
    this.chunkHead = `data: {"id":"${options.id}","object":"${object}","created":${this.created},"model":${JSON.stringify(options.model)},"choices":[{"index":0,`
    this.chunkTail = ',"logprobs":null,"finish_reason":'
  }

  /** The request joined the simulation: a stream's headers go out now. */
  begin(): void {
    if (this.ended || !this.options.stream) return
    this.started = true
    this.res.writeHead(200, {'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no'})
    this.res.flushHeaders()
  }

  onTokens(count: number): void {
    if (this.ended || this.detached || !this.options.stream) {
      this.sent += count
      return
    }
    const {pieces, api} = this.options
    let out = ''
    if (this.sent === 0 && api === 'chat') out += `${this.chunkHead}"delta":{"role":"assistant","content":""}${this.chunkTail}null}]}\n\n`
    const end = Math.min(pieces.length, this.sent + count)
    for (let i = this.sent; i < end; i++) {
      const text = JSON.stringify(pieces[i])
      const finish = i === pieces.length - 1 ? `"${this.options.finishReason}"` : 'null'
      out += api === 'chat' ? `${this.chunkHead}"delta":{"content":${text}}${this.chunkTail}${finish}}]}\n\n` : `${this.chunkHead}"text":${text}${this.chunkTail}${finish}}]}\n\n`
    }
    this.sent = end
    if (out !== '') this.res.write(out)
  }

  onComplete(outcome: RequestOutcome): void {
    if (this.ended) return
    this.cachedTokens = outcome.cachedTokens
    const {stream, includeUsage} = this.options
    // A detached client gets nothing, but the outcome still counts: the simulated engine served it.
    if (!this.detached && stream) {
      let out = ''
      if (includeUsage) out += `${this.chunkHead.slice(0, -'{"index":0,'.length)}],"usage":${JSON.stringify(this.usage())}}\n\n`
      this.res.end(`${out}data: [DONE]\n\n`)
    } else if (!this.detached) {
      this.sendJson(200, this.body())
    }
    this.finish(outcome)
  }

  onFail(reason: string, detail: string): void {
    const status = reason === 'exceeds-kv-capacity' ? 413 : 500
    this.fail(new ApiError(status, `the simulated backend cannot serve this request (${reason}): ${detail}`, status === 413 ? 'invalid_request_error' : 'server_error', reason.replaceAll('-', '_')))
  }

  /** Ends the response with an error: a JSON error before a stream has started, an error event inside it. */
  fail(error: ApiError): void {
    if (this.ended) return
    if (this.detached) {
      // The client is gone: nothing to send.
    } else if (this.started) this.res.end(`data: ${JSON.stringify(error.toJson())}\n\ndata: [DONE]\n\n`)
    else this.sendJson(error.status, error.toJson())
    this.finish(null)
  }

  /** The client went away: stop writing (the request goes on in the simulation, as it would on a server that does not abort). */
  detach(): void {
    this.detached = true
  }

  private finish(outcome: RequestOutcome | null): void {
    this.ended = true
    this.options.onEnd(this, outcome)
  }

  private usage(): Record<string, unknown> {
    const completion = this.options.pieces.length
    return {
      prompt_tokens: this.options.promptTokens,
      completion_tokens: completion,
      total_tokens: this.options.promptTokens + completion,
      prompt_tokens_details: {cached_tokens: this.cachedTokens},
    }
  }

  private body(): Record<string, unknown> {
    const {api, id, model, pieces, finishReason} = this.options
    const text = pieces.join('')
    const choice =
      api === 'chat'
        ? {index: 0, message: {role: 'assistant', content: text}, logprobs: null, finish_reason: finishReason}
        : {index: 0, text, logprobs: null, finish_reason: finishReason}
    return {id, object: api === 'chat' ? 'chat.completion' : 'text_completion', created: this.created, model, choices: [choice], usage: this.usage()}
  }

  private sendJson(status: number, body: unknown): void {
    const text = JSON.stringify(body)
    this.res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
    this.res.end(text)
  }
}
