import {describeValue, formatRowError, isNonNegativeInteger} from './field-parsers.js'
import {parseJsonObjectLine} from './json-row.js'
import {splitJsonLines} from './jsonl-lines.js'
import type {RowSink} from './row-sink.js'
import {SessionTurns} from './session-turns.js'
import type {TraceRecord} from './trace-record.js'

/** Tokens per `hash_ids` block in the Mooncake traces (source README). */
export const mooncakeBlockSize = 512

/**
 * Mooncake FAST'25 JSONL: `timestamp` (ms from the trace start), `input_length`,
 * `output_length`, `hash_ids` (512-token chained prefix blocks). Also the session
 * variant some tools write (aiperf): `session_id`, and `delay` (ms of think time after
 * the previous turn) on turns that carry no timestamp; such a turn's arrival is the
 * session's previous arrival plus the delay, and the delay becomes thinkTimeUs.
 */
export function readMooncakeJsonl(chunks: AsyncIterable<Buffer>, sink: RowSink): AsyncGenerator<void> {
  sink.timeField = 'timestamp'
  const sessions = new SessionTurns()
  const source = sink.defaultSource
  return splitJsonLines(chunks, (text, line) => {
    sink.stats.rowsRead++
    const value = parseJsonObjectLine(text, line, sink)
    if (value === undefined) return
    const {timestamp, input_length: inputTokens, output_length: outputTokens, hash_ids: hashIds, session_id: rawSession, delay} = value
    const fail = (field: string, expected: string, got: unknown): void => {
      sink.reject(formatRowError(sink.file, line, field, expected, describeValue(got)))
    }
    if (!isNonNegativeInteger(inputTokens)) return fail('input_length', 'a non-negative integer', inputTokens)
    if (!isNonNegativeInteger(outputTokens)) return fail('output_length', 'a non-negative integer', outputTokens)
    if (hashIds !== undefined && !isIdArray(hashIds)) return fail('hash_ids', 'an array of non-negative integers', hashIds)
    let sessionId: string | undefined
    if (rawSession !== undefined && rawSession !== null && rawSession !== '') {
      if (typeof rawSession !== 'string' && typeof rawSession !== 'number') return fail('session_id', 'a string or number', rawSession)
      sessionId = String(rawSession)
    }
    let thinkTimeUs: number | undefined
    if (delay !== undefined) {
      if (!isNonNegativeNumber(delay)) return fail('delay', 'a non-negative number (milliseconds)', delay)
      thinkTimeUs = Math.round(delay * 1000)
    }
    let arrivalUs: number
    if (timestamp !== undefined) {
      if (!isNonNegativeNumber(timestamp)) return fail('timestamp', 'a non-negative number (milliseconds)', timestamp)
      arrivalUs = Math.round(timestamp * 1000)
    } else {
      const previousUs = sessionId === undefined ? undefined : sessions.lastArrivalUs(sessionId)
      if (previousUs === undefined || thinkTimeUs === undefined) {
        return fail('timestamp', 'a number (milliseconds), or delay on a later turn of a session', timestamp)
      }
      arrivalUs = previousUs + thinkTimeUs
    }
    const record: TraceRecord = {arrivalUs, inputTokens, outputTokens}
    if (sessionId !== undefined) {
      record.sessionId = sessionId
      record.turn = sessions.nextTurn(sessionId, arrivalUs)
    }
    if (thinkTimeUs !== undefined) record.thinkTimeUs = thinkTimeUs
    if (hashIds !== undefined) {
      record.hashIds = hashIds
      record.blockSize = mooncakeBlockSize
    }
    if (source !== undefined) record.source = source
    const rawTime = timestamp === undefined ? `${arrivalUs / 1000} (from delay)` : (timestamp as number)
    if (outputTokens === 0) sink.acceptZeroOutput(record, line, rawTime, 'output_length')
    else sink.accept(record, line, rawTime)
  }, sink.file)
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function isIdArray(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false
  for (const id of value) if (!isNonNegativeInteger(id)) return false
  return true
}
