import {defaultSynthRequests, parseTraceSpec} from '../replay/trace-spec.js'
import {readTrace, type TraceReadSettings} from '../traces/read-trace.js'
import {synthesizeTrace} from '../traces/synthesize-trace.js'
import type {TraceRecord} from '../traces/trace-record.js'

/**
 * Tokens per query of a workload, from the trace alone (no backend): the numbers behind
 * "coding agents generate ~15x more tokens per query than chat". A query is a request,
 * or a session (an agent task: every turn of one session id; a request without a
 * session is its own). Input, output and total (input + output) are all given, because
 * the claim's wording does not say which it counts.
 */
export interface TokensPerQuery {
  requests: number
  sessions: number
  /** Means per request. */
  perRequest: {input: number; output: number; total: number}
  /** Means per session (queries = sessions + requests without a session). */
  perSession: {input: number; output: number; total: number; queries: number}
}

export async function measureTraceTokens(path: string, limit: number | null, read: TraceReadSettings = {}): Promise<TokensPerQuery> {
  return countTokensPerQuery(await readTraceRecords(path, limit, read))
}

/** The first `limit` records of a trace file or `synth:` spec (all when null), in arrival order. */
export async function readTraceRecords(path: string, limit: number | null, read: TraceReadSettings = {}): Promise<TraceRecord[]> {
  const spec = parseTraceSpec(path)
  if ('synth' in spec) {
    const {kind, requests, ratePerS, turnsPerSession, seed} = spec.synth
    const records = [...synthesizeTrace({kind, seed: seed ?? 1, requests: requests ?? defaultSynthRequests, ratePerS, turnsPerSession})]
    return limit === null ? records : records.slice(0, limit)
  }
  const records: TraceRecord[] = []
  outer: for await (const batch of readTrace(path, read).batches()) {
    for (const record of batch) {
      if (limit !== null && records.length >= limit) break outer
      records.push(record)
    }
  }
  return records
}

export function countTokensPerQuery(records: Iterable<TraceRecord>): TokensPerQuery {
  let requests = 0
  let input = 0
  let output = 0
  const sessions = new Set<string>()
  let unsessioned = 0
  for (const r of records) {
    requests++
    input += r.inputTokens
    output += r.outputTokens
    if (r.sessionId === undefined) unsessioned++
    else sessions.add(r.sessionId)
  }
  const queries = sessions.size + unsessioned
  const mean = (sum: number, n: number) => (n === 0 ? 0 : sum / n)
  return {
    requests,
    sessions: sessions.size,
    perRequest: {input: mean(input, requests), output: mean(output, requests), total: mean(input + output, requests)},
    perSession: {input: mean(input, queries), output: mean(output, queries), total: mean(input + output, queries), queries},
  }
}
