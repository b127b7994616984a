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
    warnings: [],
    complete: false,
  }
}
