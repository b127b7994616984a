import {readTrace, type ReadTraceOptions} from './read-trace.js'
import {summarizeTrace, type TraceSummary} from './summarize-trace.js'
import type {TraceFormat} from './trace-record.js'

/** `trace inspect --json`: the summary plus what the reader saw. */
export interface TraceInspection extends TraceSummary {
  file: string
  format: TraceFormat
  compressed: boolean
  rowsRead: number
  skippedRows: number
  skippedExamples: string[]
  failedRowsExcluded: number
  failedRowsIncluded: number
  reorderedRows: number
  zeroOutputRows: number
  warnings: string[]
}

/** Reads a whole trace once and summarizes it. */
export async function inspectTrace(path: string, options: ReadTraceOptions = {}): Promise<TraceInspection> {
  const reader = readTrace(path, options)
  const summary = await summarizeTrace(reader)
  const {stats} = reader
  return {
    file: path,
    format: stats.format as TraceFormat,
    compressed: stats.compressed,
    ...summary,
    rowsRead: stats.rowsRead,
    skippedRows: stats.rowsSkipped,
    skippedExamples: stats.skippedExamples,
    failedRowsExcluded: stats.failedRowsExcluded,
    failedRowsIncluded: stats.failedRowsIncluded,
    reorderedRows: stats.reorderedRows,
    zeroOutputRows: stats.zeroOutputRows,
    warnings: stats.warnings,
  }
}
