import {extname} from 'node:path'
import {openAtomicWriter} from '../common/atomic-write.js'
import {TracebenchError} from '../common/errors.js'
import type {RequestFailure, RequestOutcome} from '../metrics/request-outcome.js'
import type {RequestLog} from './replay-run.js'

const csvColumns = [
  'index',
  'status',
  'reason',
  'arrivalUs',
  'startUs',
  'firstTokenUs',
  'completionUs',
  'inputTokens',
  'outputTokens',
  'cachedTokens',
  'kvTransferUs',
  'preemptions',
  'ttftUs',
  'tpotUs',
  'e2eUs',
  'sessionId',
  'turn',
] as const

const flushAtChars = 1 << 20

/**
 * The per-request log behind --requests-out: CSV (one header, one row per request) or
 * JSONL, chosen by the file extension. Lines are buffered and written between
 * simulation steps; the file appears atomically when the replay ends.
 */
export class RequestsLogWriter implements RequestLog {
  private buffer: string[] = []
  private chars = 0

  private constructor(
    private readonly writer: Awaited<ReturnType<typeof openAtomicWriter>>,
    private readonly format: 'csv' | 'jsonl',
  ) {}

  static async open(path: string): Promise<RequestsLogWriter> {
    const ext = extname(path).toLowerCase()
    const format = ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : undefined
    if (format === undefined) throw new TracebenchError(`--requests-out ${path}: expected a .csv or .jsonl file name`)
    const log = new RequestsLogWriter(await openAtomicWriter(path), format)
    if (format === 'csv') log.push(`${csvColumns.join(',')}\n`)
    return log
  }

  get needsFlush(): boolean {
    return this.chars >= flushAtChars
  }

  logOutcome(o: RequestOutcome): void {
    const ttftUs = o.firstTokenUs - o.arrivalUs
    const e2eUs = o.completionUs - o.arrivalUs
    const tpotUs = o.outputTokens > 1 ? (o.completionUs - o.firstTokenUs) / (o.outputTokens - 1) : null
    if (this.format === 'jsonl') {
      const {itlGapsUs: _itl, ...fields} = o
      this.push(`${JSON.stringify({status: 'completed', ...fields, ttftUs, tpotUs, e2eUs})}\n`)
      return
    }
    this.push(
      `${o.index},completed,,${o.arrivalUs},${o.startUs},${o.firstTokenUs},${o.completionUs},${o.inputTokens},${o.outputTokens},${o.cachedTokens},${o.kvTransferUs},${o.preemptions},${ttftUs},${tpotUs === null ? '' : round3(tpotUs)},${e2eUs},${csvText(o.sessionId)},${o.turn ?? ''}\n`,
    )
  }

  logFailure(f: RequestFailure): void {
    if (this.format === 'jsonl') {
      this.push(`${JSON.stringify({status: 'failed', ...f})}\n`)
      return
    }
    this.push(`${f.index},failed,${csvText(f.reason)},${f.arrivalUs},,,,,,,,,,,,,\n`)
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return
    const text = this.buffer.join('')
    this.buffer = []
    this.chars = 0
    await this.writer.write(text)
  }

  async commit(): Promise<void> {
    await this.flush()
    await this.writer.commit()
  }

  async abort(): Promise<void> {
    await this.writer.abort()
  }

  private push(line: string): void {
    this.buffer.push(line)
    this.chars += line.length
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000
}

/** A CSV field: quoted when it holds a separator, quote or line break. */
function csvText(value: string | undefined): string {
  if (value === undefined) return ''
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
