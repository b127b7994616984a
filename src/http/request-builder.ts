import type {EndpointConfig} from './endpoint-config.js'
import type {PromptBuilder} from './prompt-builder.js'

/** What one trace request asks the server for. */
export interface TurnRequest {
  /** Position in the trace: the key of its own text. */
  index: number
  inputTokens: number
  outputTokens: number
  sessionId?: string
  hashIds?: readonly number[]
  blockSize?: number
}

export interface BuiltRequest {
  route: '/chat/completions' | '/completions'
  body: string
  /** Prompt tokens as the tokenizer counts the content sent (chat templates add the server's own). */
  intendedInputTokens: number
  /** Of those, tokens carried over from the session's earlier turns and answers. */
  historyTokens: number
}

interface ChatMessage {
  role: 'user' | 'assistant'
  content: string
}

interface SessionHistory {
  /** Chat: the conversation so far; completions: one text. */
  messages: ChatMessage[]
  text: string
  tokens: number
}

/** Sent but not answered yet: becomes the session's history when the answer arrives. */
interface PendingTurn {
  messages: ChatMessage[]
  text: string
  tokens: number
}

/**
 * Builds request bodies from trace requests, and carries each session's history: turn k+1
 * is sent with turn k's prompt and the answer actually received (chat: the messages plus
 * an assistant message; completions: the text), then new text up to the trace's input
 * tokens, so the server's prefix cache sees what the trace means. When the history is as
 * long as the next turn's input or longer (the client compacted or dropped its context),
 * the turn starts afresh. Requests with prefix hash ids (Mooncake) that do not continue a
 * history are made of hash blocks, so shared ids are shared prefixes. Histories are kept
 * for at most `maxSessions` sessions (least recently used first out); a forgotten
 * session's next turn starts afresh.
 */
export class RequestBuilder {
  private readonly histories = new Map<string, SessionHistory>()
  private readonly pending = new Map<number, {sessionId: string; turn: PendingTurn}>()
  private readonly route: BuiltRequest['route']

  constructor(
    private readonly config: EndpointConfig,
    private readonly model: string,
    private readonly prompts: PromptBuilder,
    private readonly maxSessions = 4096,
  ) {
    this.route = config.api === 'chat' ? '/chat/completions' : '/completions'
  }

  build(request: TurnRequest): BuiltRequest {
    const history = request.sessionId === undefined ? undefined : this.histories.get(request.sessionId)
    const continues = history !== undefined && history.tokens < request.inputTokens
    let turn: PendingTurn
    if (continues) {
      const fresh = this.prompts.text(request.inputTokens - history.tokens, request.index)
      turn = {messages: [...history.messages, {role: 'user', content: fresh}], text: history.text + fresh, tokens: request.inputTokens}
    } else {
      const text =
        request.hashIds !== undefined && request.hashIds.length > 0
          ? this.prompts.hashPrompt(request.hashIds, request.blockSize ?? 512, request.inputTokens, request.index)
          : this.prompts.text(request.inputTokens, request.index)
      turn = {messages: [{role: 'user', content: text}], text, tokens: request.inputTokens}
    }
    if (request.sessionId !== undefined) this.pending.set(request.index, {sessionId: request.sessionId, turn})
    return {route: this.route, body: this.body(turn, request.outputTokens), intendedInputTokens: request.inputTokens, historyTokens: continues ? history.tokens : 0}
  }

  /** The answer to request `index` arrived (or `undefined`: it failed, and the history stays as it was). */
  finish(index: number, answer: string | undefined): void {
    const sent = this.pending.get(index)
    if (sent === undefined) return
    this.pending.delete(index)
    if (answer === undefined) return
    const {sessionId, turn} = sent
    this.histories.delete(sessionId)
    this.histories.set(sessionId, {
      messages: [...turn.messages, {role: 'assistant', content: answer}],
      text: turn.text + answer,
      tokens: turn.tokens + this.prompts.tokenizer.countTokens(answer),
    })
    if (this.histories.size > this.maxSessions) this.histories.delete(this.histories.keys().next().value!)
  }

  private body(turn: PendingTurn, outputTokens: number): string {
    const config = this.config
    const body: Record<string, unknown> = {model: this.model}
    if (config.api === 'chat') body.messages = turn.messages
    else body.prompt = turn.text
    body[config.maxTokensField] = outputTokens
    body.stream = true
    body.stream_options = {include_usage: true}
    if (config.ignoreEos) {
      body.ignore_eos = true
      body.min_tokens = outputTokens
    }
    return JSON.stringify({...body, ...config.extraBody})
  }
}
