import {Sequence} from '../backends/sequence.js'
import type {TraceRecord} from '../traces/trace-record.js'
import {EventKind, type EventHandler, type SimEvent} from '../kernel/event-queue.js'
import {SessionTracker, type PendingTurn, type TurnReleaser} from './sessions.js'
import type {SimFeeder, Simulator} from '../kernel/simulator.js'

/** Records in arrival order, a batch at a time (sync for synthesized traces, async for files). */
export interface RecordBatches {
  next(): IteratorResult<TraceRecord[]> | Promise<IteratorResult<TraceRecord[]>>
}

/** Batches from an async iterable of batches (the trace reader's `batches()`). */
export function batchesFromAsync(batches: AsyncIterable<TraceRecord[]>): RecordBatches {
  return batches[Symbol.asyncIterator]()
}

/** Batches of up to `size` records from a sync iterable (synthesized traces, tests), without awaits. */
export function batchesFromIterable(records: Iterable<TraceRecord>, size = 1024): RecordBatches {
  const iterator = records[Symbol.iterator]()
  return {
    next(): IteratorResult<TraceRecord[]> {
      const batch: TraceRecord[] = []
      while (batch.length < size) {
        const result = iterator.next()
        if (result.done === true) break
        batch.push(result.value)
      }
      return batch.length === 0 ? {done: true, value: undefined} : {done: false, value: batch}
    },
  }
}

export interface ArrivalOptions {
  /** Arrival-rate multiplier: open-loop arrivals (and session starts) at arrivalUs / rateScale. */
  rateScale: number
  /** Replay only the first N records. */
  limit?: number
  /**
   * How far ahead of the simulation clock the trace is read, in trace time (µs). Session
   * turns must be read before their previous turn ends to be released closed-loop on time.
   */
  lookaheadUs?: number
  /** Most records read but not yet released (a memory bound). */
  maxBuffered?: number
}

/** What the arrival source hands released requests to. */
export interface RequestSink {
  submit(seq: Sequence): void
}

/** Running statistics of the records read, for the results file's trace summary. */
export interface ArrivalStats {
  records: number
  sessions: number
  firstArrivalUs: number
  lastArrivalUs: number
  inputTokens: number
  outputTokens: number
}

/**
 * Streams a trace into the simulation: reads ahead of the clock (bounded in time and
 * count, so memory does not grow with the trace), schedules open-loop arrivals at their
 * rate-scaled times and hands session turns to the SessionTracker (closed loop).
 * Records are never all materialized: a million-request trace streams.
 */
export class ArrivalSource implements SimFeeder, EventHandler, TurnReleaser {
  readonly sessions: SessionTracker
  readonly stats: ArrivalStats = {records: 0, sessions: 0, firstArrivalUs: 0, lastArrivalUs: 0, inputTokens: 0, outputTokens: 0}
  private batch: TraceRecord[] = []
  private batchPos = 0
  private done = false
  /** Records read and not yet released. */
  private buffered = 0
  private lastReadUs = Number.NEGATIVE_INFINITY
  private readonly rateScale: number
  private readonly limit: number
  private readonly lookaheadUs: number
  private readonly maxBuffered: number
  /**
   * Open-loop turns read and not yet released, in release order (the trace is sorted).
   * Only the head has an event in the queue: the heap stays small however far ahead the
   * trace is read.
   */
  private openLoop: PendingTurn[] = []
  private openLoopHead = 0
  private openLoopScheduled = false

  constructor(
    private readonly sim: Simulator,
    private readonly source: RecordBatches,
    options: ArrivalOptions,
    private readonly sink: RequestSink,
  ) {
    this.rateScale = options.rateScale
    this.limit = options.limit ?? Number.POSITIVE_INFINITY
    this.lookaheadUs = options.lookaheadUs ?? 120e6
    this.maxBuffered = options.maxBuffered ?? 100_000
    this.sessions = new SessionTracker(this)
  }

  /** True once every record (up to the limit) has been read. */
  get exhausted(): boolean {
    return this.done
  }

  /** Simulation time from which the next refill may be due (see SimFeeder.refillAtUs). */
  get refillAtUs(): number {
    if (this.done) return Number.POSITIVE_INFINITY
    return (this.lastReadUs - this.lookaheadUs) / this.rateScale
  }

  needsRefill(nextEventUs: number): boolean {
    if (this.done || this.buffered >= this.maxBuffered) return false
    return this.lastReadUs < nextEventUs * this.rateScale + this.lookaheadUs
  }

  async refill(nextEventUs: number): Promise<void> {
    let targetUs = nextEventUs === Number.POSITIVE_INFINITY ? Number.NaN : nextEventUs * this.rateScale + 2 * this.lookaheadUs
    while (!this.done && this.buffered < this.maxBuffered) {
      if (this.batchPos >= this.batch.length) {
        const result = await this.source.next()
        if (result.done === true) {
          this.done = true
          break
        }
        this.batch = result.value
        this.batchPos = 0
        continue
      }
      const record = this.batch[this.batchPos++]!
      this.dispatch(record)
      if (Number.isNaN(targetUs)) targetUs = record.arrivalUs + 2 * this.lookaheadUs
      if (this.stats.records >= this.limit) {
        this.done = true
        break
      }
      if (record.arrivalUs >= targetUs) break
    }
    if (this.done) this.batch = []
  }

  private dispatch(record: TraceRecord): void {
    const stats = this.stats
    const index = stats.records++
    if (index === 0) stats.firstArrivalUs = record.arrivalUs
    stats.lastArrivalUs = record.arrivalUs
    stats.inputTokens += record.inputTokens
    stats.outputTokens += record.outputTokens
    this.lastReadUs = record.arrivalUs
    this.buffered++
    const turn: PendingTurn = {record, index, scaledArrivalUs: record.arrivalUs / this.rateScale, releaseUs: -1}
    if (record.sessionId !== undefined) {
      this.sessions.onRead(turn, this.sim.nowUs)
      stats.sessions = this.sessions.sessionsSeen
    } else {
      this.releaseOpenLoop(turn, Math.max(Math.round(turn.scaledArrivalUs), Math.ceil(this.sim.nowUs)))
    }
  }

  /** Called by the SessionTracker: a session's first turn (open loop) or a closed-loop turn. */
  releaseTurn(turn: PendingTurn, releaseUs: number, closedLoop: boolean): void {
    if (closedLoop) this.sim.schedule(releaseUs, EventKind.sessionRelease, this, turn)
    else this.releaseOpenLoop(turn, releaseUs)
  }

  private releaseOpenLoop(turn: PendingTurn, releaseUs: number): void {
    turn.releaseUs = releaseUs
    this.openLoop.push(turn)
    if (!this.openLoopScheduled) this.scheduleOpenLoopHead()
  }

  private scheduleOpenLoopHead(reuse: SimEvent | null = null): void {
    const head = this.openLoop[this.openLoopHead]
    this.openLoopScheduled = head !== undefined
    if (head === undefined) return
    const timeUs = Math.max(head.releaseUs, this.sim.nowUs)
    if (reuse === null) this.sim.schedule(timeUs, EventKind.arrival, this, null)
    else this.sim.scheduleAgain(reuse, timeUs, EventKind.arrival)
  }

  handleEvent(event: SimEvent): void {
    // Read before the event object is recycled for the next arrival.
    const releaseUs = event.timeUs
    let turn: PendingTurn
    if (event.kind === EventKind.arrival) {
      turn = this.openLoop[this.openLoopHead]!
      this.openLoop[this.openLoopHead++] = undefined as unknown as PendingTurn
      if (this.openLoopHead >= 4096 && this.openLoopHead * 2 >= this.openLoop.length) {
        this.openLoop = this.openLoop.slice(this.openLoopHead)
        this.openLoopHead = 0
      }
      this.scheduleOpenLoopHead(event)
    } else {
      turn = event.data as PendingTurn
    }
    const r = turn.record
    this.buffered--
    const seq = new Sequence(turn.index, releaseUs, r.inputTokens, r.outputTokens, r.sessionId, r.turn, r.hashIds, r.blockSize ?? 512)
    this.sink.submit(seq)
  }
}
