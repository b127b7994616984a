import {TracebenchError} from '../common/errors.js'
import {EventQueue, SimEvent, type EventHandler, type EventKindValue} from './event-queue.js'

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
  /** Events handled so far (cancelled ones excluded): the unit of simulator work. */
  eventsHandled = 0

  schedule(timeUs: number, kind: EventKindValue, handler: EventHandler, data: unknown = null): SimEvent {
    if (!(timeUs >= this.nowUs)) {
      throw new TracebenchError(`internal: event scheduled in the past (${timeUs} < ${this.nowUs})`, {code: 'INTERNAL', exitCode: 70})
    }
    const event = new SimEvent(timeUs, kind, this.nextSeq++, handler, data)
    this.queue.push(event)
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
    if (event.heapIndex >= 0) throw new Error('internal: scheduleAgain on an event still queued')
    event.cancelled = false
    event.retime(timeUs, this.nextSeq++, kind)
    this.queue.push(event)
    return event
  }

  /** Takes an event out of the queue (it will not run). */
  cancel(event: SimEvent | null): void {
    if (event === null || event.cancelled) return
    event.cancelled = true
    this.queue.remove(event)
  }

  /** Moves a queued event to another (not past) time, with a new sequence number. */
  reschedule(event: SimEvent, timeUs: number): void {
    if (!(timeUs >= this.nowUs)) {
      throw new TracebenchError(`internal: event rescheduled into the past (${timeUs} < ${this.nowUs})`, {code: 'INTERNAL', exitCode: 70})
    }
    if (event.heapIndex < 0) throw new Error('internal: rescheduled an event that is not queued')
    event.retime(timeUs, this.nextSeq++)
    this.queue.update(event)
  }

  get pendingEvents(): number {
    return this.queue.size
  }

  /** Time of the next event to run (Infinity when none is queued). */
  get nextEventUs(): number {
    const next = this.queue.peek()
    return next === undefined ? Number.POSITIVE_INFINITY : next.timeUs
  }

  /**
   * Runs every event due at or before `timeUs`, then moves the clock to `timeUs`: a live
   * driver advancing the simulation with the wall clock, so that work submitted next
   * (a request that just arrived) happens at that instant. Later events stay queued.
   */
  runUntil(timeUs: number): void {
    const queue = this.queue
    for (;;) {
      const next = queue.peek()
      if (next === undefined || next.timeUs > timeUs) break
      queue.pop()
      if (next.cancelled) continue
      this.nowUs = next.timeUs
      this.eventsHandled++
      next.handler.handleEvent(next)
    }
    if (timeUs > this.nowUs) this.nowUs = timeUs
  }

  /** Runs until no event is left (and the feeder has nothing more). */
  async run(feeder?: SimFeeder): Promise<void> {
    const queue = this.queue
    for (;;) {
      if (feeder !== undefined) {
        const next = queue.peek()
        const nextUs = next === undefined ? Number.POSITIVE_INFINITY : next.timeUs
        if (nextUs >= (feeder.refillAtUs ?? Number.NEGATIVE_INFINITY) && feeder.needsRefill(nextUs)) {
          await feeder.refill(nextUs)
          continue
        }
      }
      const event = queue.pop()
      if (event === undefined) return
      if (event.cancelled) continue
      this.nowUs = event.timeUs
      this.eventsHandled++
      event.handler.handleEvent(event)
    }
  }
}
