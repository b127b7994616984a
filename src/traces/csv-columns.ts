import {TraceParseError} from '../common/errors.js'
import {formatRowError} from './field-parsers.js'
import type {RowSink} from './row-sink.js'

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
