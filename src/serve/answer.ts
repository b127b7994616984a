import {createRng} from '../common/seeded-random.js'
import {chatProfile} from '../traces/synth-profiles.js'
import {createPercentileSampler} from '../traces/quantile-sampler.js'
import {ApiError} from './openai-requests.js'

export interface AnswerRequest {
  promptTokens: number
  /** max_completion_tokens / max_tokens, or null. */
  maxTokens: number | null
  minTokens: number
  ignoreEos: boolean
}

export interface AnswerPlan {
  outputTokens: number
  finishReason: 'length' | 'stop'
  pieces: string[]
}

const sampleChatOutput = createPercentileSampler(chatProfile.outputTokens.value)

/**
 * Decides how long an answer is and what it says, as a model server would: with
 * `ignore_eos` (or `min_tokens` equal to the limit) exactly the limit; otherwise a
 * length drawn from the chat profile's output lengths (the Azure 2023 conversation
 * trace, docs/traces.md), at least `min_tokens` and at most the limit. The limit is
 * max_tokens, or what the context leaves. Draws are seeded by (seed, request index), so
 * a server restarted with the same seed answers the same requests alike.
 *
 * The text is made of `words`, each one token of the serving tokenizer, so the answer
 * counts as many tokens as it claims when a client sends it back as history.
 */
export function planAnswer(request: AnswerRequest, maxContextTokens: number, words: readonly string[], seed: number, index: number): AnswerPlan {
  const {promptTokens, minTokens} = request
  if (promptTokens >= maxContextTokens) {
    throw new ApiError(
      413,
      `This model's maximum context length is ${maxContextTokens} tokens. However, your prompt has ${promptTokens} tokens. Please reduce the length of the prompt.`,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    )
  }
  const limit = request.maxTokens ?? maxContextTokens - promptTokens
  if (promptTokens + limit > maxContextTokens) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${maxContextTokens} tokens. However, you requested ${promptTokens + limit} tokens (${promptTokens} in the prompt, ${limit} in the completion). Please reduce the length of the prompt or completion.`,
      'invalid_request_error',
      'context_length_exceeded',
      'max_tokens',
    )
  }
  const rng = createRng(seed * 0x100000 + index)
  const drawn = Math.max(1, Math.round(sampleChatOutput(rng)))
  const outputTokens = request.ignoreEos ? limit : Math.min(limit, Math.max(minTokens, drawn))
  const pieces = new Array<string>(outputTokens)
  for (let i = 0; i < outputTokens; i++) pieces[i] = words[Math.floor(rng.next() * words.length)]!
  return {outputTokens, finishReason: outputTokens === limit ? 'length' : 'stop', pieces}
}
