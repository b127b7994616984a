import {basename} from 'node:path'
import {readTrace, type ReadTraceOptions} from './read-trace.js'
import type {TraceFormat, TraceRecord} from './trace-record.js'
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
  zeroOutputRows: number
  warnings: string[]
}

/** Reads any supported trace and writes it as native tracebench JSONL (atomically). */
export async function convertTrace(input: string, output: string, options: ReadTraceOptions = {}): Promise<TraceConversion> {
  // The first batch is read before anything is written, so that the header can name the
  // detected format: the input is opened once (a FIFO or standard input can be converted).
  const reader = readTrace(input, options)
  const batches = reader.batches()[Symbol.asyncIterator]()
  const first = await batches.next()
  const format = reader.stats.format as TraceFormat
  async function* allBatches(): AsyncGenerator<TraceRecord[]> {
    if (first.done !== true) yield first.value
    for (;;) {
      const next = await batches.next()
      if (next.done === true) return
      yield next.value
    }
  }
  const name = input === '-' ? 'standard input' : basename(input)
  const requests = await writeNativeTrace(output, {batches: allBatches}, {description: `converted from ${name}`, convertedFrom: {file: name, format}})
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
    zeroOutputRows: stats.zeroOutputRows,
    warnings: stats.warnings,
  }
}
