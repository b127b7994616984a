import {isNonNegativeInteger} from './field-parsers.js'
import type {TraceRecord, TraceSource} from './trace-record.js'

/**
 * tracebench's native trace format: JSON Lines, one request per line, field names as in
 * TraceRecord, optionally preceded by one header line. docs/traces.md is the reference.
 *
 *   {"format":"tracebench-trace","version":1,"generator":{...}}
 *   {"arrivalUs":0,"inputTokens":17020,"outputTokens":187,"sessionId":"agentic-1-0","turn":0,"hashIds":[0,1,...],"blockSize":512,"source":"agentic"}
 */
export const nativeFormatTag = 'tracebench-trace'
export const nativeFormatVersion = 1

/** The optional first line of a native trace. Unknown fields are kept and ignored. */
export interface NativeTraceHeader {
  format: typeof nativeFormatTag
  version: number
  /** One line saying what the trace is. */
  description?: string
  /** For synthesized traces: the generator's inputs, enough to regenerate the file. */
  generator?: Record<string, unknown>
  /** For converted traces: the input file's name and format. */
  convertedFrom?: {file: string; format: string}
  [extra: string]: unknown
}

const traceSources: readonly string[] = ['chat', 'coding', 'agentic'] satisfies TraceSource[]

/** Every field a native record may have, in the order the writer emits them. */
export const nativeRecordFields = [
  'arrivalUs',
  'inputTokens',
  'outputTokens',
  'sessionId',
  'turn',
  'thinkTimeUs',
  'hashIds',
  'blockSize',
  'model',
  'source',
] as const
const knownFields = new Set<string>(nativeRecordFields)

/** Why a native record is invalid: the field, what it should be, and the offending value. */
export interface FieldProblem {
  field: string
  expected: string
  got: unknown
}

/** Whether a parsed JSON line is a native header rather than a record. */
export function isNativeHeader(value: Record<string, unknown>): boolean {
  return value.format === nativeFormatTag
}

/** Converts a parsed JSON line into a TraceRecord, or says which field is wrong. */
export function parseNativeRecord(value: Record<string, unknown>): TraceRecord | FieldProblem {
  const {arrivalUs, inputTokens, outputTokens} = value
  if (!isNonNegativeInteger(arrivalUs)) return {field: 'arrivalUs', expected: 'a non-negative integer (microseconds)', got: arrivalUs}
  if (!isNonNegativeInteger(inputTokens)) return {field: 'inputTokens', expected: 'a non-negative integer', got: inputTokens}
  if (!isNonNegativeInteger(outputTokens)) return {field: 'outputTokens', expected: 'a non-negative integer', got: outputTokens}
  const record: TraceRecord = {arrivalUs, inputTokens, outputTokens}
  const {sessionId, turn, thinkTimeUs, hashIds, blockSize, model, source} = value
  if (sessionId !== undefined) {
    if (typeof sessionId !== 'string' || sessionId === '') return {field: 'sessionId', expected: 'a non-empty string', got: sessionId}
    record.sessionId = sessionId
  }
  if (turn !== undefined) {
    if (!isNonNegativeInteger(turn)) return {field: 'turn', expected: 'a non-negative integer', got: turn}
    record.turn = turn
  }
  if (thinkTimeUs !== undefined) {
    if (!isNonNegativeInteger(thinkTimeUs)) return {field: 'thinkTimeUs', expected: 'a non-negative integer (microseconds)', got: thinkTimeUs}
    record.thinkTimeUs = thinkTimeUs
  }
  if (hashIds !== undefined) {
    if (!isHashIdArray(hashIds)) return {field: 'hashIds', expected: 'an array of non-negative integers', got: hashIds}
    if (!isNonNegativeInteger(blockSize) || blockSize === 0) {
      return {field: 'blockSize', expected: 'a positive integer (tokens per hash block) when hashIds is present', got: blockSize}
    }
    record.hashIds = hashIds
    record.blockSize = blockSize
  } else if (blockSize !== undefined) {
    if (!(isNonNegativeInteger(blockSize) && blockSize > 0)) return {field: 'blockSize', expected: 'a positive integer', got: blockSize}
    record.blockSize = blockSize
  }
  if (model !== undefined) {
    if (typeof model !== 'string') return {field: 'model', expected: 'a string', got: model}
    record.model = model
  }
  if (source !== undefined) {
    if (typeof source !== 'string' || !traceSources.includes(source)) {
      return {field: 'source', expected: `one of ${traceSources.join(', ')}`, got: source}
    }
    record.source = source as TraceSource
  }
  return record
}

/** Names of fields in `value` that the native schema does not define. */
export function findUnknownNativeFields(value: Record<string, unknown>): string[] {
  const unknown: string[] = []
  for (const key in value) if (!knownFields.has(key)) unknown.push(key)
  return unknown
}

export function isFieldProblem(value: TraceRecord | FieldProblem): value is FieldProblem {
  return 'field' in value
}

function isHashIdArray(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false
  for (const id of value) if (!isNonNegativeInteger(id)) return false
  return true
}

/** One native JSON line for `record` (no newline), fields in a fixed order so output is byte-stable. */
export function formatNativeRecord(record: TraceRecord): string {
  let line = `{"arrivalUs":${record.arrivalUs},"inputTokens":${record.inputTokens},"outputTokens":${record.outputTokens}`
  if (record.sessionId !== undefined) line += `,"sessionId":${JSON.stringify(record.sessionId)}`
  if (record.turn !== undefined) line += `,"turn":${record.turn}`
  if (record.thinkTimeUs !== undefined) line += `,"thinkTimeUs":${record.thinkTimeUs}`
  if (record.hashIds !== undefined) line += `,"hashIds":[${record.hashIds.join(',')}]`
  if (record.blockSize !== undefined) line += `,"blockSize":${record.blockSize}`
  if (record.model !== undefined) line += `,"model":${JSON.stringify(record.model)}`
  if (record.source !== undefined) line += `,"source":"${record.source}"`
  return `${line}}`
}

/** The header line (no newline). */
export function formatNativeHeader(header: Omit<NativeTraceHeader, 'format' | 'version'>): string {
  const {format: _format, version: _version, ...rest} = header as Record<string, unknown>
  return JSON.stringify({format: nativeFormatTag, version: nativeFormatVersion, ...rest})
}
