import {z} from 'zod'

/**
 * An error answered in OpenAI's JSON form, `{"error": {"message", "type", "param",
 * "code"}}`, with its HTTP status: clients and SDKs built for the OpenAI API show the
 * message and raise their usual exception classes.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message)
  }

  toJson(): {error: {message: string; type: string; param: string | null; code: string | null}} {
    return {error: {message: this.message, type: this.type, param: this.param, code: this.code}}
  }
}

export type CompletionApi = 'chat' | 'completions'

/** What the simulator needs from a completion request. */
export interface CompletionRequest {
  api: CompletionApi
  model: string
  /** The prompt as pieces of text (one per chat message), or token ids for a completions prompt given as ids. */
  promptTexts: string[]
  promptIds: number[] | null
  /** max_completion_tokens, else max_tokens; null when neither is given. */
  maxTokens: number | null
  minTokens: number
  ignoreEos: boolean
  stream: boolean
  includeUsage: boolean
}

const positiveInt = z.number().int().min(1)
const tokenIds = z.array(z.number().int().min(0))

const textPart = z.looseObject({type: z.literal('text'), text: z.string()})
const messageSchema = z.looseObject({
  role: z.string(),
  // Content parts other than text (images, audio) have no token count here: refused, not ignored.
  content: z.union([z.string(), z.null(), z.array(textPart)]).optional(),
})

// Loose objects: sampling parameters (temperature, top_p, seed, ...) and vendor fields
// are accepted and have no effect on a simulation, as vLLM accepts extra fields.
const commonFields = {
  model: z.string({error: 'you must provide a model parameter'}).min(1, {error: 'you must provide a model parameter'}),
  max_tokens: positiveInt.nullable().optional(),
  min_tokens: z.number().int().min(0).nullable().optional(),
  ignore_eos: z.boolean().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({include_usage: z.boolean().nullable().optional()}).nullable().optional(),
  n: z.literal(1, {error: 'only n = 1 is supported by tracebench serve'}).nullable().optional(),
}

const completionSchema = z.looseObject({
  ...commonFields,
  prompt: z.union([z.string(), z.array(z.string()).length(1), tokenIds.min(1), z.array(tokenIds.min(1)).length(1)], {
    error: 'expected a string or an array of token ids (one prompt per request)',
  }),
})

const chatSchema = z.looseObject({
  ...commonFields,
  max_completion_tokens: positiveInt.nullable().optional(),
  messages: z.array(messageSchema).min(1, {error: 'expected at least one message'}),
})

/** Validates a request body for `/v1/completions` or `/v1/chat/completions`; throws ApiError 400. */
export function parseCompletionRequest(api: CompletionApi, body: unknown): CompletionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'the request body must be a JSON object')
  const parsed = (api === 'chat' ? chatSchema : completionSchema).safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const param = issue.path.map(String).join('.') || null
    throw new ApiError(400, param === null ? issue.message : `${param}: ${issue.message}`, 'invalid_request_error', null, param)
  }
  const data = parsed.data as z.infer<typeof completionSchema> & z.infer<typeof chatSchema>
  let promptTexts: string[] = []
  let promptIds: number[] | null = null
  if (api === 'chat') {
    promptTexts = data.messages.map((m) => (typeof m.content === 'string' ? m.content : (m.content ?? []).map((part) => part.text).join('')))
  } else {
    const prompt = data.prompt
    if (typeof prompt === 'string') promptTexts = [prompt]
    else if (typeof prompt[0] === 'string') promptTexts = [prompt[0]]
    else if (typeof prompt[0] === 'number') promptIds = prompt as number[]
    else promptIds = (prompt as number[][])[0]!
  }
  const maxTokens = (api === 'chat' ? data.max_completion_tokens : undefined) ?? data.max_tokens ?? null
  const minTokens = data.min_tokens ?? 0
  if (maxTokens !== null && minTokens > maxTokens) {
    throw new ApiError(400, `min_tokens (${minTokens}) must be at most max_tokens (${maxTokens})`, 'invalid_request_error', null, 'min_tokens')
  }
  const stream = data.stream === true
  return {
    api,
    model: data.model,
    promptTexts,
    promptIds,
    maxTokens,
    minTokens,
    ignoreEos: data.ignore_eos === true,
    stream,
    includeUsage: stream && data.stream_options?.include_usage === true,
  }
}
