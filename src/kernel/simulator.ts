import {TracebenchError} from '../common/errors.js'
import {truncateArray} from '../common/truncate-array.js'
import {EventKind, EventQueue, SimEvent, type EventHandler, type EventKindValue} from './event-queue.js'

/**
 * Something that feeds the simulation lazily (the trace reader): before each event the
 * loop asks whether it must read more so that nothing due before `nextEventUs` is missed.
 */
export interface SimFeeder {
  /**
   * A cheap pre-check: the loop asks `needsRefill` only for events at or after this
   * time (or when the queue is empty). -Infinity asks before every event.
   */
  readonly refillAtUs?: number
  needsRefill(nextEventUs: number): boolean
  refill(nextEventUs: number): Promise<void>
  /** When set, the loop awaits `pause()` every this many events (a replay sharing its thread lets the event loop run). */
  readonly pauseEveryEvents?: number
  pause?(): Promise<void>
}

/**
 * A discrete-event simulation in virtual time. The clock, the event sequence numbers
 * and the event list belong to the instance, so several simulators can run side by
 * side in one thread (or one per worker) without sharing state.
 */
export class Simulator {
  /** Virtual time in microseconds (fractional: step times are not whole microseconds). */
  nowUs = 0
  private nextSeq = 0
  private readonly queue = new EventQueue()
  /**
   * Wake events for the current instant, in scheduling order: an idle replica asks to
   * plan its next iteration once the instant's arrivals are in, and that is the most
   * frequent event there is. They run exactly where the heap would put them (after the
   * instant's events of lower kinds, before its samples, in sequence order), without a
   * push and a pop through the heap.
   */
  private readonly dueWakes: SimEvent[] = []
  private dueHead = 0
  /** Events handled so far (cancelled ones excluded): the unit of simulator work. */
  eventsHandled = 0
  /** eventsHandled at which run() pauses next (see SimFeeder.pauseEveryEvents). */
  private pauseAt = Number.POSITIVE_INFINITY
  private stopRequested = false

  schedule(timeUs: number, kind: EventKindValue, handler: EventHandler, data: unknown = null): SimEvent {
    if (!(timeUs >= this.nowUs)) {
      throw new TracebenchError(`internal: event scheduled in the past (${timeUs} < ${this.nowUs})`, {code: 'INTERNAL', exitCode: 70})
    }
    const event = new SimEvent(timeUs, kind, this.nextSeq++, handler, data)
    this.enqueue(event)
    return event
  }

  /**
   * Schedules an event object again after it has run (or been cancelled), instead of
   * allocating a new one: components with one pending event at a time (a replica, the
   * arrival stream) recycle theirs, which keeps the garbage collector out of the loop.
   */
  scheduleAgain(event: SimEvent, timeUs: number, kind: EventKindValue): SimEvent {
    if (!(timeUs >= this.nowUs)) {
      throw new TracebenchError(`internal: event scheduled in the past (${timeUs} < ${this.nowUs})`, {code: 'INTERNAL', exitCode: 70})
    }
    if (event.heapIndex !== notQueued) throw new Error('internal: scheduleAgain on an event still queued')
    event.cancelled = false
    event.retime(timeUs, this.nextSeq++, kind)
    this.enqueue(event)
    return event
  }

  private enqueue(event: SimEvent): void {
    if (event.kind === EventKind.wake && event.timeUs === this.nowUs) {
      event.heapIndex = dueNow
      this.dueWakes.push(event)
    } else {
      this.queue.push(event)
    }
  }

  /** Takes an event out of the queue (it will not run). */
  cancel(event: SimEvent | null): void {
    if (event === null || event.cancelled) return
    event.cancelled = true
    if (event.heapIndex !== dueNow) {
      this.queue.remove(event)
      return
    }
    this.dueWakes.splice(this.dueWakes.indexOf(event, this.dueHead), 1)
    event.heapIndex = notQueued
  }

  /** Moves a queued event to another (not past) time, with a new sequence number. */
  reschedule(event: SimEvent, timeUs: number): void {
    if (!(timeUs >= this.nowUs)) {
      throw new TracebenchError(`internal: event rescheduled into the past (${timeUs} < ${this.nowUs})`, {code: 'INTERNAL', exitCode: 70})
    }
    if (event.heapIndex < 0) throw new Error('internal: rescheduled an event that is not queued (or a due wake)')
    event.retime(timeUs, this.nextSeq++)
    this.queue.update(event)
  }

  /** Ends `run` after the event being handled; the events still queued never run. */
  stop(): void {
    this.stopRequested = true
    // The loop's pause check ends it: no extra test per event.
    this.pauseAt = this.eventsHandled
  }

  get stopped(): boolean {
    return this.stopRequested
  }

  get pendingEvents(): number {
    return this.queue.size + this.dueWakes.length - this.dueHead
  }

  /** Time of the next event to run (Infinity when none is queued). */
  get nextEventUs(): number {
    if (this.dueHead < this.dueWakes.length) return this.nowUs
    const next = this.queue.peek()
    return next === undefined ? Number.POSITIVE_INFINITY : next.timeUs
  }

  /**
   * Takes the event that runs next (undefined when none is queued): the first due wake,
   * unless the heap holds an event of a lower kind at the same instant.
   */
  private takeNext(): SimEvent | undefined {
    const next = this.queue.peek()
    const dueWakes = this.dueWakes
    if (this.dueHead < dueWakes.length && !(next !== undefined && next.timeUs === this.nowUs && next.kind < EventKind.wake)) {
      const event = dueWakes[this.dueHead++]!
      if (this.dueHead === dueWakes.length) {
        truncateArray(dueWakes)
        this.dueHead = 0
      }
      event.heapIndex = notQueued
      return event
    }
    return next === undefined ? undefined : this.queue.pop()
  }

  /**
   * Runs every event due at or before `timeUs`, then moves the clock to `timeUs`: a live
   * driver advancing the simulation with the wall clock, so that work submitted next
   * (a request that just arrived) happens at that instant. Later events stay queued.
   */
  runUntil(timeUs: number): void {
    while (this.nextEventUs <= timeUs) {
      const next = this.takeNext()!
      if (next.cancelled) continue
      this.nowUs = next.timeUs
      this.eventsHandled++
      next.handler.handleEvent(next)
    }
    if (timeUs > this.nowUs) this.nowUs = timeUs
  }

  /** Runs until no event is left (and the feeder has nothing more). */
  async run(feeder?: SimFeeder): Promise<void> {
    const pauseEvery = feeder?.pauseEveryEvents
    this.pauseAt = pauseEvery === undefined ? Number.POSITIVE_INFINITY : this.eventsHandled + pauseEvery
    for (;;) {
      const refillAtUs = this.handleEvents(feeder)
      if (Number.isNaN(refillAtUs)) return
      if (refillAtUs === pauseNow) {
        if (this.stopRequested) return
        await (feeder as SimFeeder).pause?.()
        this.pauseAt = this.eventsHandled + (pauseEvery as number)
        continue
      }
      await (feeder as SimFeeder).refill(refillAtUs)
    }
  }

  /**
   * Handles events until none is left (returns NaN), the feeder must read before the
   * next one (returns that event's time, Infinity when none is queued), or it is time to
   * pause (returns -Infinity). A plain loop outside the async function: V8 optimizes it
   * as such, and the awaits are rare.
   */
  private handleEvents(feeder: SimFeeder | undefined): number {
    for (;;) {
      if (feeder !== undefined) {
        const nextUs = this.nextEventUs
        if (nextUs >= (feeder.refillAtUs ?? Number.NEGATIVE_INFINITY) && feeder.needsRefill(nextUs)) return nextUs
      }
      const event = this.takeNext()
      if (event === undefined) return Number.NaN
      if (event.cancelled) continue
      this.nowUs = event.timeUs
      this.eventsHandled++
      event.handler.handleEvent(event)
      if (this.eventsHandled >= this.pauseAt) return pauseNow
    }
  }
}

/** handleEvents' answer when the feeder asked to pause. */
const pauseNow = Number.NEGATIVE_INFINITY

/** SimEvent.heapIndex of an event in no queue, and of a wake in the due list. */
const notQueued = -1
const dueNow = -2
