import type {TraceFormat} from './trace-record.js'

/** How many skipped-row messages a reader keeps (the rest are only counted). */
export const maxSkippedExamples = 5

/** What a trace reader saw; filled in while it iterates, complete when iteration ends. */
export interface TraceReadStats {
  /** The path as given. */
  file: string
  /** Format used (detected from content unless forced); undefined until the first bytes are read. */
  format: TraceFormat | undefined
  /** Whether the file was gzip-compressed. */
  compressed: boolean
  /** Data rows parsed: not the header, not blank lines. */
  rowsRead: number
  /** Records delivered to the caller. */
  records: number
  /** Invalid rows skipped under skipInvalid. */
  rowsSkipped: number
  /** The first few skipped-row messages (`file:line: field: expected ..., got ...`). */
  skippedExamples: string[]
  /** BurstGPT failed rows (0 response tokens) left out (the default). */
  failedRowsExcluded: number
  /** BurstGPT failed rows kept because includeFailed was set. */
  failedRowsIncluded: number
  /** Rows whose arrival was earlier than a previous row's; sorted into place. */
  reorderedRows: number
  /** Rows that ask for 0 output tokens (Azure, Mooncake): kept and reported, or rejected under strict. */
  zeroOutputRows: number
  /** Human-readable warnings, also passed to onWarning as they happen. */
  warnings: string[]
  /** True once iteration ran to the end of the file. */
  complete: boolean
}

export function createReadStats(file: string): TraceReadStats {
  return {
    file,
    format: undefined,
    compressed: false,
    rowsRead: 0,
    records: 0,
    rowsSkipped: 0,
    skippedExamples: [],
    failedRowsExcluded: 0,
    failedRowsIncluded: 0,
    reorderedRows: 0,
    zeroOutputRows: 0,
    warnings: [],
    complete: false,
  }
}

/**
 * The warnings a read leaves behind (skipped, dropped, sorted and zero-output rows), one
 * message each, in the words `trace inspect` prints them; commands that replay a trace
 * print the same lines from the counts their results file records.
 */
export function describeReadWarnings(stats: Pick<TraceReadStats, 'file' | 'rowsSkipped' | 'skippedExamples' | 'failedRowsExcluded' | 'reorderedRows' | 'zeroOutputRows'>): string[] {
  const warnings: string[] = []
  if (stats.rowsSkipped > 0) {
    const more = stats.rowsSkipped > stats.skippedExamples.length ? '; first ones' : ''
    warnings.push(`${stats.file}: skipped ${stats.rowsSkipped} invalid row(s) (--skip-invalid)${more}:\n  ${stats.skippedExamples.join('\n  ')}`)
  }
  if (stats.failedRowsExcluded > 0) {
    warnings.push(`${stats.file}: excluded ${stats.failedRowsExcluded} failed request(s) (0 response tokens); --include-failed keeps them`)
  }
  if (stats.reorderedRows > 0) {
    warnings.push(`${stats.file}: ${stats.reorderedRows} row(s) were out of time order and have been sorted (--strict rejects them)`)
  }
  if (stats.zeroOutputRows > 0) {
    warnings.push(`${stats.file}: ${stats.zeroOutputRows} row(s) ask for 0 output tokens; they are replayed as requests that end at their first token (--strict rejects them)`)
  }
  return warnings
}
