import {parseAzureTimestampUs} from './azure-timestamp.js'
import {parseCsvRows} from './csv-rows.js'
import {describeValue, formatRowError, parseNonNegativeInteger} from './field-parsers.js'
import {findColumns, rejectColumnCount} from './csv-columns.js'
import type {RowSink} from './row-sink.js'
import type {TraceRecord} from './trace-record.js'

const expectedTimestamp = 'a timestamp like "2023-11-16 18:17:03.9799600" or "2024-05-10 00:00:00.009930+00:00"'

/**
 * Azure LLM inference traces (2023 and 2024): `TIMESTAMP,ContextTokens,GeneratedTokens`,
 * columns found by name. Timestamps are parsed by hand into microseconds (see
 * azure-timestamp.ts); both the 2023 CRLF files without a final newline and the 2024
 * `+00:00` form are read.
 */
export function readAzureCsv(chunks: AsyncIterable<Buffer>, sink: RowSink): AsyncGenerator<void> {
  sink.timeField = 'TIMESTAMP'
  const source = sink.defaultSource
  let header: string[] | undefined
  let timeIndex = 0
  let inputIndex = 0
  let outputIndex = 0
  return parseCsvRows(chunks, sink, (fields, line) => {
    if (header === undefined) {
      header = fields
      ;[timeIndex, inputIndex, outputIndex] = findColumns(sink.file, line, fields, ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'])
      return
    }
    sink.stats.rowsRead++
    if (fields.length !== header.length) {
      rejectColumnCount(sink, line, header, fields)
      return
    }
    const timeText = fields[timeIndex] as string
    const arrivalUs = parseAzureTimestampUs(timeText)
    if (Number.isNaN(arrivalUs)) {
      sink.reject(formatRowError(sink.file, line, 'TIMESTAMP', expectedTimestamp, describeValue(timeText)))
      return
    }
    const inputText = fields[inputIndex] as string
    const inputTokens = parseNonNegativeInteger(inputText)
    if (Number.isNaN(inputTokens)) {
      sink.reject(formatRowError(sink.file, line, 'ContextTokens', 'a non-negative integer', describeValue(inputText)))
      return
    }
    const outputText = fields[outputIndex] as string
    const outputTokens = parseNonNegativeInteger(outputText)
    if (Number.isNaN(outputTokens)) {
      sink.reject(formatRowError(sink.file, line, 'GeneratedTokens', 'a non-negative integer', describeValue(outputText)))
      return
    }
    const record: TraceRecord = source === undefined ? {arrivalUs, inputTokens, outputTokens} : {arrivalUs, inputTokens, outputTokens, source}
    sink.accept(record, line, timeText)
  })
}
