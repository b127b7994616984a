import {NumberColumn, percentileOfSorted} from './exact-percentile.js'
import {PrefixReuseCounter} from './prefix-reuse-counter.js'
import type {TraceRecord} from './trace-record.js'

/** Distribution of a per-request quantity; percentiles exact (numpy-style linear interpolation). */
export interface DistributionSummary {
  mean: number
  p50: number
  p90: number
  p99: number
  min: number
  max: number
}

/** Prefix-block accounting behind `prefixReuse`. */
export interface PrefixBlockSummary {
  /** Block references over all requests (sum of hashIds lengths). */
  references: number
  /** References to an id that an earlier request (or earlier in the same one) already used. */
  repeated: number
  /** Distinct ids. */
  distinct: number
  /** Tokens per block when all records agree, else null. */
  blockSize: number | null
}

/** What `trace inspect` prints; field names are part of its --json output. */
export interface TraceSummary {
  requests: number
  /** Distinct session ids (0 when the trace has none). */
  sessions: number
  /** Last arrival minus first, in seconds. */
  durationS: number
  /** requests / durationS; null when the duration is 0. */
  ratePerS: number | null
  inputTokens: DistributionSummary | null
  outputTokens: DistributionSummary | null
  /** Input plus output tokens per request. */
  tokensPerRequest: DistributionSummary | null
  /** Total output tokens / total input tokens; null when there is no input. */
  outputToInputRatio: number | null
  /** Turns per session; null when the trace has no sessions. */
  turnsPerSession: DistributionSummary | null
  /** Fraction of prefix-block references that repeat an earlier one; null without hashIds. */
  prefixReuse: number | null
  prefixBlocks: PrefixBlockSummary | null
  /** Requests per traffic class (chat, coding, agentic, unknown). */
  requestsBySource: Record<string, number>
}

/**
 * Summarizes a stream of records in one pass. Memory: three Float64Arrays of one entry per
 * request (exact percentiles), a bitset of seen prefix ids, and one counter per session.
 */
export async function summarizeTrace(records: AsyncIterable<TraceRecord> | Iterable<TraceRecord>): Promise<TraceSummary> {
  const inputs = new NumberColumn()
  const outputs = new NumberColumn()
  const totals = new NumberColumn()
  const prefix = new PrefixReuseCounter()
  const turnsBySession = new Map<string, number>()
  const requestsBySource: Record<string, number> = {}
  let firstUs = Number.POSITIVE_INFINITY
  let lastUs = Number.NEGATIVE_INFINITY
  let inputSum = 0
  let outputSum = 0
  let blockSize: number | null | undefined

  const add = (record: TraceRecord): void => {
    const {arrivalUs, inputTokens, outputTokens} = record
    if (arrivalUs < firstUs) firstUs = arrivalUs
    if (arrivalUs > lastUs) lastUs = arrivalUs
    inputs.push(inputTokens)
    outputs.push(outputTokens)
    totals.push(inputTokens + outputTokens)
    inputSum += inputTokens
    outputSum += outputTokens
    if (record.sessionId !== undefined) turnsBySession.set(record.sessionId, (turnsBySession.get(record.sessionId) ?? 0) + 1)
    const source = record.source ?? 'unknown'
    requestsBySource[source] = (requestsBySource[source] ?? 0) + 1
    if (record.hashIds !== undefined) {
      prefix.add(record.hashIds)
      const size = record.blockSize ?? null
      blockSize = blockSize === undefined || blockSize === size ? size : null
    }
  }

  if (Symbol.asyncIterator in records) {
    const batched = records as AsyncIterable<TraceRecord> & {batches?: () => AsyncIterable<TraceRecord[]>}
    if (typeof batched.batches === 'function') {
      for await (const batch of batched.batches()) for (const record of batch) add(record)
    } else {
      for await (const record of records) add(record)
    }
  } else {
    for (const record of records) add(record)
  }

  const requests = inputs.length
  const durationS = requests === 0 ? 0 : (lastUs - firstUs) / 1e6
  const sessionTurns = new NumberColumn()
  for (const turns of turnsBySession.values()) sessionTurns.push(turns)
  return {
    requests,
    sessions: turnsBySession.size,
    durationS,
    ratePerS: durationS > 0 ? requests / durationS : null,
    inputTokens: describeDistribution(inputs, inputSum),
    outputTokens: describeDistribution(outputs, outputSum),
    tokensPerRequest: describeDistribution(totals, inputSum + outputSum),
    outputToInputRatio: inputSum > 0 ? outputSum / inputSum : null,
    turnsPerSession: describeDistribution(sessionTurns, requestsWithSession(turnsBySession)),
    prefixReuse: prefix.references > 0 ? prefix.repeated / prefix.references : null,
    prefixBlocks:
      prefix.references > 0
        ? {references: prefix.references, repeated: prefix.repeated, distinct: prefix.distinct, blockSize: blockSize ?? null}
        : null,
    requestsBySource,
  }
}

function describeDistribution(column: NumberColumn, sum: number): DistributionSummary | null {
  if (column.length === 0) return null
  const sorted = column.sorted()
  return {
    mean: sum / column.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  }
}

function requestsWithSession(turnsBySession: Map<string, number>): number {
  let total = 0
  for (const turns of turnsBySession.values()) total += turns
  return total
}
