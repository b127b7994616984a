import type {TraceRecord} from './trace-record.js'

/** Rows a reader holds back to sort late rows into place, unless told otherwise. */
export const defaultReorderWindowRows = 10_000

/** What happened to a record offered to the buffer. */
export type OfferResult = 'in-order' | 'reordered' | 'too-late'

/**
 * Restores arrival order with bounded memory. Records are held back until at least
 * `windowRows` newer rows have arrived (the check runs once per input chunk of about
 * 1 MiB, so a few thousand more may be held); a late row is sorted into place as long as it is
 * not earlier than a row already released. Sorting is stable, so rows with equal times
 * keep their file order, and it only runs when a late row was seen (V8's TimSort is
 * close to linear on the nearly sorted data it then gets).
 *
 * Released records have `arrivalUs` shifted so that the first released record is at 0.
 */
export class ArrivalOrderBuffer {
  private pending: TraceRecord[] = []
  private unsorted = false
  private latestUs = Number.NEGATIVE_INFINITY
  private releasedUpToUs = Number.NEGATIVE_INFINITY
  private originUs: number | undefined

  constructor(private readonly windowRows: number) {}

  /** Offers a record; a 'too-late' record is not kept. */
  offer(record: TraceRecord): OfferResult {
    const arrivalUs = record.arrivalUs
    if (arrivalUs >= this.latestUs) {
      this.latestUs = arrivalUs
      this.pending.push(record)
      return 'in-order'
    }
    if (arrivalUs < this.releasedUpToUs) return 'too-late'
    this.unsorted = true
    this.pending.push(record)
    return 'reordered'
  }

  /** Records that can no longer be overtaken, in order; empty while the window is not full. */
  takeReady(): TraceRecord[] {
    const releaseCount = this.pending.length - this.windowRows
    if (releaseCount <= 0) return []
    this.sortIfNeeded()
    const ready = this.pending.slice(0, releaseCount)
    this.pending = this.pending.slice(releaseCount)
    return this.release(ready)
  }

  /** Everything still held, in order (call at end of input). */
  takeAll(): TraceRecord[] {
    this.sortIfNeeded()
    const ready = this.pending
    this.pending = []
    return this.release(ready)
  }

  private sortIfNeeded(): void {
    if (!this.unsorted) return
    this.pending.sort((a, b) => a.arrivalUs - b.arrivalUs)
    this.unsorted = false
  }

  private release(records: TraceRecord[]): TraceRecord[] {
    const last = records.at(-1)
    if (last === undefined) return records
    const first = records[0] as TraceRecord
    this.originUs ??= first.arrivalUs
    this.releasedUpToUs = last.arrivalUs
    const originUs = this.originUs
    if (originUs !== 0) {
      for (const record of records) record.arrivalUs -= originUs
    }
    return records
  }
}
