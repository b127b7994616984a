import type {MetricDefinition, MetricId} from './definitions.js'
import {exportDefinitions} from './results-file.js'

/**
 * The definitions a real-endpoint results file embeds: the same ids and units, with the
 * formulas as they are measured on the wall clock from a streamed answer.
 */
export function httpMetricDefinitions(): Record<MetricId, MetricDefinition> {
  const definitions = exportDefinitions()
  const set = (id: MetricId, description: string, formula: string): void => {
    definitions[id] = {...definitions[id], description, formula}
  }
  set(
    'ttft',
    'Time to first token from the scheduled arrival (real endpoint): client lag, network and server queueing included',
    'ttft = firstTokenUs - arrivalUs; firstTokenUs = arrival of the first streamed chunk that carries content (text or reasoning; not a role-only or empty chunk); arrivalUs = the scheduled send (trace time / rate scale) or the closed-loop release, so a late send cannot hide queueing (coordinated omission). The same from the actual send is harness.ttftFromSend',
  )
  set(
    'tpot',
    'Time per output token after the first (real endpoint)',
    "tpot = (e2e - ttft) / (outputTokens - 1) = (completionUs - firstTokenUs) / (outputTokens - 1), outputTokens = the server's usage.completion_tokens (else the tokens counted chunk by chunk); completionUs = the last content chunk",
  )
  set(
    'itl',
    'Inter-token latency (real endpoint): gaps between content chunks, spread over the tokens each chunk carried',
    'a content chunk that arrives g after the previous one and carries k tokens counts as k gaps of g / k (k = the growth of usage.completion_tokens when streamed per chunk, else the tokenizer count of its text); the tokens of the first chunk have no gap',
  )
  set('e2e', 'End-to-end latency from the scheduled arrival to the last content chunk (real endpoint)', 'e2e = completionUs - arrivalUs')
  set(
    'queue',
    "Client send lag of completed requests (real endpoint); the server's own queueing is inside ttft",
    'queue = startUs - arrivalUs with startUs = the actual send',
  )
  set('sendLag', 'Client-side send lag: how late a request left versus its schedule', 'sendLag = actual send - arrivalUs, completed requests (harness.sendLag covers every request sent)')
  return definitions
}
