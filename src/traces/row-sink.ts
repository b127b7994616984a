import {TraceParseError} from '../common/errors.js'
import {ArrivalOrderBuffer} from './arrival-order-buffer.js'
import {describeValue, formatRowError} from './field-parsers.js'
import type {TraceRecord, TraceSource} from './trace-record.js'
import {describeReadWarnings, maxSkippedExamples, type TraceReadStats} from './trace-read-stats.js'

/** 2^53 microseconds, in years: the span integer microseconds hold exactly. */
const maxTraceYears = Math.floor(Number.MAX_SAFE_INTEGER / 1e6 / 86400 / 365.25)

export interface RowSinkOptions {
  skipInvalid: boolean
  strict: boolean
  includeFailed: boolean
  reorderWindowRows: number
  /** Source tag for records whose format carries none. */
  defaultSource: TraceSource | undefined
  onWarning: ((message: string) => void) | undefined
}

/**
 * Where the format readers put parsed rows. It owns the policies every format shares:
 * stop or skip on a bad row, keep or drop failed requests, restore arrival order (or
 * reject disorder under strict), and the final "no requests" checks.
 */
export class RowSink {
  /** Name of the time column, for order messages (`TIMESTAMP`, `timestamp`, ...). */
  timeField = 'time'
  private latestRawTime: string | number = ''
  private latestLine = 0
  private readonly order: ArrivalOrderBuffer

  constructor(
    readonly stats: TraceReadStats,
    readonly options: RowSinkOptions,
  ) {
    this.order = new ArrivalOrderBuffer(options.reorderWindowRows)
  }

  get file(): string {
    return this.stats.file
  }

  get defaultSource(): TraceSource | undefined {
    return this.options.defaultSource
  }

  get includeFailed(): boolean {
    return this.options.includeFailed
  }

  /**
   * A parsed row; `arrivalUs` still in the file's own clock (it is shifted on release).
   * `rawTime` is the time as written in the file, quoted in order messages.
   */
  accept(record: TraceRecord, line: number, rawTime: string | number): void {
    // Times are integer microseconds; past 2^53 (285 years) they lose precision silently.
    if (!Number.isSafeInteger(record.arrivalUs)) {
      this.reject(formatRowError(this.file, line, this.timeField, `a time that fits in microseconds (at most ${maxTraceYears} years after the clock's origin)`, describeValue(rawTime)))
      return
    }
    if (record.thinkTimeUs !== undefined && !Number.isSafeInteger(record.thinkTimeUs)) {
      this.reject(formatRowError(this.file, line, 'think time', `a delay that fits in microseconds (at most ${maxTraceYears} years)`, String(record.thinkTimeUs / 1000)))
      return
    }
    const result = this.order.offer(record)
    if (result === 'in-order') {
      this.latestRawTime = rawTime
      this.latestLine = line
      return
    }
    if (this.options.strict) {
      throw new TraceParseError(
        `${formatRowError(this.file, line, this.timeField, `a time at or after line ${this.latestLine}'s ${describeValue(this.latestRawTime)}`, describeValue(rawTime))} (rows out of time order are rejected under --strict; without it they are sorted)`,
      )
    }
    if (result === 'too-late') {
      this.reject(
        `${formatRowError(this.file, line, this.timeField, `a time no earlier than the rows already read out (the reorder window holds ${this.options.reorderWindowRows} rows; line ${this.latestLine} has ${describeValue(this.latestRawTime)})`, describeValue(rawTime))}; sort the file by time or raise --reorder-window`,
      )
      return
    }
    this.stats.reorderedRows++
  }

  /** A failed request (BurstGPT: 0 response tokens): kept or dropped, counted either way. */
  acceptFailed(record: TraceRecord, line: number, rawTime: string | number): void {
    if (this.options.includeFailed) {
      this.stats.failedRowsIncluded++
      this.accept(record, line, rawTime)
    } else {
      this.stats.failedRowsExcluded++
    }
  }

  /**
   * A row asking for 0 output tokens where the format has no notion of a failed request
   * (Azure, Mooncake): a request that produces nothing is more likely a logging gap than
   * a workload, so it is counted and reported, or rejected under strict.
   */
  acceptZeroOutput(record: TraceRecord, line: number, rawTime: string | number, field: string): void {
    if (this.options.strict) {
      this.reject(`${formatRowError(this.file, line, field, 'a positive number of output tokens', '0')} (rows asking for no output are rejected under --strict; without it they are kept and counted)`)
      return
    }
    this.stats.zeroOutputRows++
    this.accept(record, line, rawTime)
  }

  /** A row that cannot be read: stops the read, or is counted and skipped under skipInvalid. */
  reject(message: string): void {
    if (!this.options.skipInvalid) throw new TraceParseError(message)
    this.stats.rowsSkipped++
    if (this.stats.skippedExamples.length < maxSkippedExamples) this.stats.skippedExamples.push(message)
  }

  warn(message: string): void {
    this.stats.warnings.push(message)
    this.options.onWarning?.(message)
  }

  /** Records that are ready, in arrival order, with arrivalUs counted from the first. */
  takeReady(): TraceRecord[] {
    const ready = this.order.takeReady()
    this.stats.records += ready.length
    return ready
  }

  /** The remaining records; reports what was skipped, dropped or sorted, and fails on "no requests". */
  finish(): TraceRecord[] {
    const rest = this.order.takeAll()
    this.stats.records += rest.length
    const {stats} = this
    for (const warning of describeReadWarnings(stats)) this.warn(warning)
    if (stats.records === 0) throw new TraceParseError(this.describeNoRecords())
    stats.complete = true
    return rest
  }

  private describeNoRecords(): string {
    const {stats} = this
    if (stats.rowsRead === 0) return `${this.file}: no requests: the file has a header but no data rows`
    if (stats.rowsSkipped === stats.rowsRead) {
      return `${this.file}: no requests: all ${stats.rowsRead} row(s) were invalid and skipped; first: ${stats.skippedExamples[0] ?? ''}`
    }
    if (stats.failedRowsExcluded > 0) {
      return `${this.file}: no requests: all ${stats.failedRowsExcluded} readable row(s) are failed requests (0 response tokens); --include-failed keeps them`
    }
    return `${this.file}: no requests in the file`
  }
}
