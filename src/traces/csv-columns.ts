import {TraceParseError} from '../common/errors.js'
import {describeValue, formatRowError, parseNonNegativeInteger} from './field-parsers.js'
import type {RowSink} from './row-sink.js'
import type {TraceRecord} from './trace-record.js'

/** Indices of the required columns in a CSV header; a clear error naming the missing ones. */
export function findColumns<const Names extends readonly string[]>(
  file: string,
  line: number,
  header: string[],
  required: Names,
): {[K in keyof Names]: number} {
  const names = header.map((name) => name.trim())
  const missing = required.filter((name) => !names.includes(name))
  if (missing.length > 0) {
    throw new TraceParseError(
      formatRowError(file, line, 'header', `columns ${required.join(', ')}`, `${JSON.stringify(header.join(','))} (missing ${missing.join(', ')})`),
    )
  }
  return required.map((name) => names.indexOf(name)) as {[K in keyof Names]: number}
}

/** Index of an optional column, or -1. */
export function findOptionalColumn(header: string[], name: string): number {
  return header.findIndex((column) => column.trim() === name)
}

/** Rejects a row whose column count differs from the header's, naming the first missing column. */
export function rejectColumnCount(sink: RowSink, line: number, header: string[], fields: string[]): void {
  if (fields.length < header.length) {
    const missing = header[fields.length] ?? '?'
    sink.reject(formatRowError(sink.file, line, missing.trim(), `${header.length} columns (${header.join(',')})`, `${fields.length} (column missing)`))
  } else {
    sink.reject(formatRowError(sink.file, line, 'row', `${header.length} columns (${header.join(',')})`, `${fields.length}`))
  }
}

/** The columns every CSV trace has: arrival time, input tokens, output tokens. */
export interface CoreCsvColumns {
  timeIndex: number
  timeName: string
  /** Parses the time cell into integer microseconds, NaN when malformed. */
  parseTimeUs: (text: string) => number
  /** What a time cell should look like, for the error message. */
  expectedTime: string
  inputIndex: number
  inputName: string
  outputIndex: number
  outputName: string
}

/**
 * Checks a data row's column count and parses its time and token cells. Rejects the
 * row through the sink, naming the first bad column, and returns null; otherwise
 * returns the record's core fields.
 */
export function parseCoreCsvFields(sink: RowSink, line: number, header: string[], fields: string[], columns: CoreCsvColumns): TraceRecord | null {
  if (fields.length !== header.length) {
    rejectColumnCount(sink, line, header, fields)
    return null
  }
  const timeText = fields[columns.timeIndex] as string
  const arrivalUs = columns.parseTimeUs(timeText)
  if (Number.isNaN(arrivalUs)) {
    sink.reject(formatRowError(sink.file, line, columns.timeName, columns.expectedTime, describeValue(timeText)))
    return null
  }
  const inputText = fields[columns.inputIndex] as string
  const inputTokens = parseNonNegativeInteger(inputText)
  if (Number.isNaN(inputTokens)) {
    sink.reject(formatRowError(sink.file, line, columns.inputName, 'a non-negative integer', describeValue(inputText)))
    return null
  }
  const outputText = fields[columns.outputIndex] as string
  const outputTokens = parseNonNegativeInteger(outputText)
  if (Number.isNaN(outputTokens)) {
    sink.reject(formatRowError(sink.file, line, columns.outputName, 'a non-negative integer', describeValue(outputText)))
    return null
  }
  return {arrivalUs, inputTokens, outputTokens}
}
