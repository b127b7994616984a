import {basename} from 'node:path'
import {detectTraceFileFormat, readTrace, type ReadTraceOptions} from './read-trace.js'
import type {TraceFormat} from './trace-record.js'
import {writeNativeTrace} from './write-native.js'

/** `trace convert --json`. */
export interface TraceConversion {
  input: string
  output: string
  format: TraceFormat
  requests: number
  rowsRead: number
  skippedRows: number
  failedRowsExcluded: number
  reorderedRows: number
  warnings: string[]
}

/** Reads any supported trace and writes it as native tracebench JSONL (atomically). */
export async function convertTrace(input: string, output: string, options: ReadTraceOptions = {}): Promise<TraceConversion> {
  // Detected up front so the output's header can name it.
  const format = options.format ?? (await detectTraceFileFormat(input))
  const reader = readTrace(input, {...options, format})
  const requests = await writeNativeTrace(output, reader, {
    description: `converted from ${basename(input)}`,
    convertedFrom: {file: basename(input), format},
  })
  const {stats} = reader
  return {
    input,
    output,
    format,
    requests,
    rowsRead: stats.rowsRead,
    skippedRows: stats.rowsSkipped,
    failedRowsExcluded: stats.failedRowsExcluded,
    reorderedRows: stats.reorderedRows,
    warnings: stats.warnings,
  }
}
