import type {TraceRecord} from '../traces/trace-record.js'

/**
 * Moves a workload's prefill:decode mix for the sensitivity sweep: every request's input
 * (or output) tokens are multiplied by `factor` (rounded, at least 1), everything else
 * (arrivals, sessions, think times) is kept.
 *
 * Prefix-cache block ids are rescaled with the input so that cache hits keep their
 * meaning: new block i stands for old block floor(i / factor), numbered
 * oldId x M + (i - first new block of that old block), M = ceil(factor) + 2 (one
 * spare for the rounding of the last block). Two
 * requests that shared their first k old blocks share the corresponding new prefix,
 * and nothing else, so the chained-prefix property of hash ids survives.
 */
export type MixSide = 'input' | 'output'

export function transformRecord(record: TraceRecord, vary: MixSide, factor: number): TraceRecord {
  if (vary === 'output') return {...record, outputTokens: Math.max(1, Math.round(record.outputTokens * factor))}
  const out: TraceRecord = {...record, inputTokens: Math.max(1, Math.round(record.inputTokens * factor))}
  if (record.hashIds !== undefined) out.hashIds = rescaleHashIds(record.hashIds, factor, out.inputTokens, record.blockSize)
  return out
}

export function rescaleHashIds(hashIds: readonly number[], factor: number, inputTokens: number, blockSize: number | undefined): number[] {
  if (hashIds.length === 0) return []
  const multiplier = Math.ceil(factor) + 2
  const wanted = blockSize !== undefined && blockSize > 0 ? Math.ceil(inputTokens / blockSize) : Math.round(hashIds.length * factor)
  const length = Math.max(1, wanted)
  const out: number[] = []
  let previousOld = -1
  let sub = 0
  for (let i = 0; i < length; i++) {
    const oldIndex = Math.min(hashIds.length - 1, Math.floor(i / factor))
    sub = oldIndex === previousOld ? sub + 1 : 0
    previousOld = oldIndex
    out.push((hashIds[oldIndex] as number) * multiplier + Math.min(sub, multiplier - 1))
  }
  return out
}

export function* transformRecords(records: Iterable<TraceRecord>, vary: MixSide, factor: number): Generator<TraceRecord> {
  for (const record of records) yield transformRecord(record, vary, factor)
}
