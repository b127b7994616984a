import {SequencePool, type Sequence} from '../backends/sequence.js'
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
   * Open-loop requests read and not yet released, in release order (the trace is
   * sorted). Only the head has an event in the queue: the heap stays small however far
   * ahead the trace is read. A FIFO of (record, index, release time) in parallel arrays,
   * so that an open-loop request costs no object of its own before its Sequence.
   */
  private readonly openLoop = new OpenLoopQueue()
  private openLoopScheduled = false
  /** Where released requests get their Sequence (the replay gives finished ones back). */
  readonly sequences = new SequencePool()

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
    const scaledArrivalUs = record.arrivalUs / this.rateScale
    if (record.sessionId !== undefined) {
      this.sessions.onRead({record, index, scaledArrivalUs, releaseUs: -1}, this.sim.nowUs)
      stats.sessions = this.sessions.sessionsSeen
    } else {
      this.releaseOpenLoop(record, index, Math.max(Math.round(scaledArrivalUs), Math.ceil(this.sim.nowUs)))
    }
  }

  /** Called by the SessionTracker: a session's first turn (open loop) or a closed-loop turn. */
  releaseTurn(turn: PendingTurn, releaseUs: number, closedLoop: boolean): void {
    if (closedLoop) this.sim.schedule(releaseUs, EventKind.sessionRelease, this, turn)
    else this.releaseOpenLoop(turn.record, turn.index, releaseUs)
  }

  private releaseOpenLoop(record: TraceRecord, index: number, releaseUs: number): void {
    this.openLoop.push(record, index, releaseUs)
    if (!this.openLoopScheduled) this.scheduleOpenLoopHead(null)
  }

  private scheduleOpenLoopHead(reuse: SimEvent | null): void {
    const queue = this.openLoop
    this.openLoopScheduled = queue.length > 0
    if (queue.length === 0) return
    const timeUs = Math.max(queue.headReleaseUs, this.sim.nowUs)
    if (reuse === null) this.sim.schedule(timeUs, EventKind.arrival, this, null)
    else this.sim.scheduleAgain(reuse, timeUs, EventKind.arrival)
  }

  handleEvent(event: SimEvent): void {
    // Read before the event object is recycled for the next arrival.
    const releaseUs = event.timeUs
    let seq: Sequence
    if (event.kind === EventKind.arrival) {
      const queue = this.openLoop
      const head = queue.head
      const extra = queue.extras[head]
      seq = this.sequences.take(
        queue.indices[head]!,
        releaseUs,
        queue.inputTokens[head]!,
        queue.outputTokens[head]!,
        extra?.sessionId,
        extra?.turn,
        extra?.hashIds,
        extra?.blockSize ?? 512,
      )
      queue.shift()
      this.scheduleOpenLoopHead(event)
    } else {
      const turn = event.data as PendingTurn
      const r = turn.record
      seq = this.sequences.take(turn.index, releaseUs, r.inputTokens, r.outputTokens, r.sessionId, r.turn, r.hashIds, r.blockSize ?? 512)
    }
    this.buffered--
    this.sink.submit(seq)
  }
}

/**
 * A FIFO of open-loop requests (trace index, release time, token counts) in growable
 * ring arrays. A record with more than tokens (a session, a turn, hash ids, a block
 * size) is kept as `extras`; a plain one is not kept at all, so the trace's record
 * objects die young, before the garbage collector has to copy them: the queue holds
 * minutes of trace ahead of the clock.
 */
class OpenLoopQueue {
  extras: Array<TraceRecord | undefined> = new Array(1024)
  // Whole numbers in Int32Arrays, so that a Sequence built from them gets small integers
  // (read from a Float64Array, they would turn its integer fields into boxed doubles).
  indices = new Int32Array(1024)
  releases = new Float64Array(1024)
  inputTokens = new Int32Array(1024)
  outputTokens = new Int32Array(1024)
  head = 0
  length = 0

  get headReleaseUs(): number {
    return this.releases[this.head]!
  }

  push(record: TraceRecord, index: number, releaseUs: number): void {
    if (this.length === this.extras.length) this.grow()
    const at = (this.head + this.length) & (this.extras.length - 1)
    const plain = record.sessionId === undefined && record.turn === undefined && record.hashIds === undefined && record.blockSize === undefined
    this.extras[at] = plain ? undefined : record
    this.indices[at] = index
    this.releases[at] = releaseUs
    this.inputTokens[at] = record.inputTokens
    this.outputTokens[at] = record.outputTokens
    this.length++
  }

  /** Removes the head (read its columns first). */
  shift(): void {
    this.extras[this.head] = undefined
    this.head = (this.head + 1) & (this.extras.length - 1)
    this.length--
  }

  private grow(): void {
    const size = this.extras.length
    const order = <T extends Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(column: T, grown: T): T => {
      for (let i = 0; i < this.length; i++) grown[i] = column[(this.head + i) & (size - 1)]!
      return grown
    }
    const extras: Array<TraceRecord | undefined> = new Array(size * 2)
    for (let i = 0; i < this.length; i++) extras[i] = this.extras[(this.head + i) & (size - 1)]
    this.extras = extras
    this.indices = order(this.indices, new Int32Array(size * 2))
    this.releases = order(this.releases, new Float64Array(size * 2))
    this.inputTokens = order(this.inputTokens, new Int32Array(size * 2))
    this.outputTokens = order(this.outputTokens, new Int32Array(size * 2))
    this.head = 0
  }
}
