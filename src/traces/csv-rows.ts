import {CsvError, Parser} from 'csv-parse'
import {TraceParseError, TracebenchError} from '../common/errors.js'
import {maxLineChars} from './jsonl-lines.js'
import type {RowSink} from './row-sink.js'

/**
 * Streams CSV through csv-parse and calls `onRow(fields, line)` for every record, the
 * header included (line 1 unless blank lines precede it). Records are handed over inside
 * csv-parse's `on_record` hook and never queued in the stream, which roughly halves the
 * per-row cost compared with reading the parser as an object stream. Yields after each
 * chunk. Malformed CSV (a stray quote) stops the read with file and line, or is skipped
 * under skipInvalid.
 */
export async function* parseCsvRows(
  chunks: AsyncIterable<Buffer>,
  sink: RowSink,
  onRow: (fields: string[], line: number) => void,
): AsyncGenerator<void> {
  // The line after the last complete record: where a record that never ends (an unclosed
  // quote) began, which csv-parse does not say (it reports the line where the file ends).
  let recordStartLine = 1
  const parser = new Parser({
    bom: true,
    skip_empty_lines: true,
    // Column counts are checked by the format readers, which know the column names.
    relax_column_count: true,
    // A runaway quoted field or a file without newlines stops here instead of filling memory.
    max_record_size: maxLineChars,
    skip_records_with_error: sink.options.skipInvalid,
    on_skip: (error) => {
      if (error === undefined) return
      sink.stats.rowsRead++
      sink.reject(describeCsvError(sink.file, error, recordStartLine))
    },
    on_record: (fields: string[], context) => {
      onRow(fields, context.lines)
      recordStartLine = context.lines + 1
      return null
    },
  })
  // Errors reach us through the write callbacks; this listener only keeps them from
  // being reported a second time as an unhandled 'error' event.
  parser.on('error', () => {})
  const write = (chunk: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      parser.write(chunk, (error) => (error ? reject(error) : resolve()))
    })
  try {
    for await (const chunk of chunks) {
      await write(chunk)
      yield
    }
    await new Promise<void>((resolve, reject) => {
      parser.once('error', reject)
      parser.end(() => resolve())
    })
    yield
  } catch (error) {
    if (error instanceof TracebenchError) throw error
    if (error instanceof CsvError) throw new TraceParseError(describeCsvError(sink.file, error, recordStartLine))
    throw error
  } finally {
    parser.destroy()
  }
}

function describeCsvError(file: string, error: CsvError, recordStartLine = 1): string {
  const line = (error as CsvError & {lines?: number}).lines
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return `${file}:${recordStartLine}: CSV: a quoted field opened in the row starting on line ${recordStartLine} is never closed (the file ends inside it, at line ${line ?? '?'}); expected a closing "`
  }
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return `${file}:${recordStartLine}: CSV: the row starting on line ${recordStartLine} is longer than ${maxLineChars / (1 << 20)} MiB (an unclosed quote, or not a CSV file?); expected rows of a few dozen characters`
  }
  const where = line === undefined ? file : `${file}:${line}`
  return `${where}: CSV: expected well-formed CSV, got ${error.message.replace(/ at line \d+/, '')}`
}
