import {TraceParseError} from '../common/errors.js'
import {describeValue, formatRowError} from './field-parsers.js'
import {parseJsonObjectLine} from './json-row.js'
import {splitJsonLines} from './jsonl-lines.js'
import {findUnknownNativeFields, isFieldProblem, isNativeHeader, nativeFormatVersion, parseNativeRecord} from './native-schema.js'
import type {RowSink} from './row-sink.js'

/**
 * tracebench's native JSONL (schema in native-schema.ts and docs/traces.md). The first
 * line may be a header; a header of a newer version stops the read. Unknown record
 * fields are reported once each and otherwise ignored.
 */
export function readNativeJsonl(chunks: AsyncIterable<Buffer>, sink: RowSink): AsyncGenerator<void> {
  sink.timeField = 'arrivalUs'
  const reportedFields = new Set<string>()
  let first = true
  return splitJsonLines(chunks, (text, line) => {
    const wasFirst = first
    first = false
    const value = parseJsonObjectLine(text, line, sink)
    if (value === undefined) {
      sink.stats.rowsRead++
      return
    }
    if (wasFirst && isNativeHeader(value)) {
      if (value.version !== nativeFormatVersion) {
        throw new TraceParseError(formatRowError(sink.file, line, 'version', `${nativeFormatVersion} (this tracebench reads native traces of version ${nativeFormatVersion})`, describeValue(value.version)))
      }
      return
    }
    sink.stats.rowsRead++
    const record = parseNativeRecord(value)
    if (isFieldProblem(record)) {
      sink.reject(formatRowError(sink.file, line, record.field, record.expected, describeValue(record.got)))
      return
    }
    if (record.source === undefined && sink.defaultSource !== undefined) record.source = sink.defaultSource
    for (const field of findUnknownNativeFields(value)) {
      if (reportedFields.has(field)) continue
      reportedFields.add(field)
      sink.warn(`${sink.file}:${line}: ignoring unknown field "${field}" (reported once)`)
    }
    sink.accept(record, line, record.arrivalUs)
  }, sink.file)
}
