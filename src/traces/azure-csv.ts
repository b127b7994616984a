import {parseAzureTimestampUs} from './azure-timestamp.js'
import {parseCsvRows} from './csv-rows.js'
import {findColumns, parseCoreCsvFields, type CoreCsvColumns} from './csv-columns.js'
import type {RowSink} from './row-sink.js'

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
  let columns: CoreCsvColumns | undefined
  return parseCsvRows(chunks, sink, (fields, line) => {
    if (header === undefined) {
      header = fields
      const [timeIndex, inputIndex, outputIndex] = findColumns(sink.file, line, fields, ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'])
      columns = {timeIndex, timeName: 'TIMESTAMP', parseTimeUs: parseAzureTimestampUs, expectedTime: expectedTimestamp, inputIndex, inputName: 'ContextTokens', outputIndex, outputName: 'GeneratedTokens'}
      return
    }
    sink.stats.rowsRead++
    const record = parseCoreCsvFields(sink, line, header, fields, columns!)
    if (record === null) return
    if (source !== undefined) record.source = source
    if (record.outputTokens === 0) sink.acceptZeroOutput(record, line, fields[columns!.timeIndex] as string, 'GeneratedTokens')
    else sink.accept(record, line, fields[columns!.timeIndex] as string)
  })
}
