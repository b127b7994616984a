import {describeValue, formatRowError} from './field-parsers.js'
import type {RowSink} from './row-sink.js'

/**
 * Parses one JSON line into an object, or rejects the row (stop, or skip under
 * skipInvalid) with `file:line: JSON: expected a JSON object, got ...`.
 */
export function parseJsonObjectLine(text: string, line: number, sink: RowSink): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    sink.reject(`${formatRowError(sink.file, line, 'JSON', 'a JSON object', describeValue(text))} (${(error as Error).message})`)
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sink.reject(formatRowError(sink.file, line, 'JSON', 'a JSON object', describeValue(text)))
    return undefined
  }
  return value as Record<string, unknown>
}
