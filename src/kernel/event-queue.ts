/**
 * The simulator's future-event list: a binary min-heap ordered by an explicit key
 * (time, then event kind, then sequence number), so events at the same instant run in
 * a documented, deterministic order instead of whatever order the heap happens to
 * leave them in.
 */

/**
 * Event kinds, in the order they run when they share a timestamp. Work that frees
 * capacity (a KV transfer landing, an iteration ending) runs before work that asks
 * for it (a session turn released, an arrival), so a request arriving at the very
 * instant a batch slot frees sees that slot. Sampling runs last and sees the settled
 * state of the instant.
 */
export const EventKind = {
  /** A KV-cache transfer's progress point (link shares change or a transfer lands). */
  linkUpdate: 0,
  /** A replica's iteration (or closed-form stretch of decode steps) ends. */
  iterationEnd: 1,
  /** A closed-loop session turn is released (previous turn's last token + think time). */
  sessionRelease: 2,
  /** An open-loop arrival from the trace. */
  arrival: 3,
  /**
   * An idle replica plans its next iteration. After arrivals, so requests arriving at
   * the same instant are batched together, as a real scheduler would see them.
   */
  wake: 4,
  /** A periodic sample of queue depth, batch size and KV-cache use. */
  sample: 5,
  /** The end of a steady-state window: after everything else at that instant. */
  windowEnd: 6,
} as const
export type EventKindValue = (typeof EventKind)[keyof typeof EventKind]

/** Whatever reacts to an event: a replica, a link network, the arrival source. */
export interface EventHandler {
  handleEvent(event: SimEvent): void
}

/** Sequence numbers stay below 2^45 (3.5e13 events), so kind x 2^45 + seq is exact in a double. */
const kindWeight = 2 ** 45

export class SimEvent {
  /** Set by `cancel`; a cancelled event has left the queue. */
  cancelled = false
  /** The tie-break after time, kind then sequence number, folded into one exact number. */
  order: number
  /** Position in the heap (-1 when not queued, -2 for a wake due now: see Simulator), so an event can move or leave in O(log n). */
  heapIndex = -1
  constructor(
    public timeUs: number,
    public kind: EventKindValue,
    public seq: number,
    readonly handler: EventHandler,
    readonly data: unknown,
  ) {
    this.order = kind * kindWeight + seq
  }

  /** Moves the event to a new time (and kind) with a new sequence number, as if scheduled anew. */
  retime(timeUs: number, seq: number, kind: EventKindValue = this.kind): void {
    this.timeUs = timeUs
    this.kind = kind
    this.seq = seq
    this.order = kind * kindWeight + seq
  }
}

/** True when `a` runs before `b`: earlier time, then lower kind, then lower sequence number. */
export function runsBefore(a: SimEvent, b: SimEvent): boolean {
  return a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.order < b.order)
}

/**
 * An indexed binary min-heap: events know their position, so rescheduling (a decode
 * stretch cut short by an arrival) and cancelling are O(log n) and leave no stale
 * entries behind to slow every later push and pop.
 */
export class EventQueue {
  private readonly heap: SimEvent[] = []

  get size(): number {
    return this.heap.length
  }

  push(event: SimEvent): void {
    event.heapIndex = this.heap.length
    this.heap.push(event)
    this.siftUp(event.heapIndex)
  }

  peek(): SimEvent | undefined {
    return this.heap[0]
  }

  pop(): SimEvent | undefined {
    const heap = this.heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop()!
    if (last !== top) {
      heap[0] = last
      last.heapIndex = 0
      this.siftDown(0)
    }
    top.heapIndex = -1
    return top
  }

  /** Takes a queued event out. */
  remove(event: SimEvent): void {
    const i = event.heapIndex
    if (i < 0) return
    const heap = this.heap
    const last = heap.pop()!
    event.heapIndex = -1
    if (last === event) return
    heap[i] = last
    last.heapIndex = i
    this.siftUp(i)
    this.siftDown(last.heapIndex)
  }

  /** Restores the order after a queued event's key changed. */
  update(event: SimEvent): void {
    const i = event.heapIndex
    if (i < 0) return
    this.siftUp(i)
    this.siftDown(event.heapIndex)
  }

  private siftUp(start: number): void {
    const heap = this.heap
    const event = heap[start]!
    let i = start
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent]!
      if (!runsBefore(event, p)) break
      heap[i] = p
      p.heapIndex = i
      i = parent
    }
    heap[i] = event
    event.heapIndex = i
  }

  private siftDown(start: number): void {
    const heap = this.heap
    const size = heap.length
    const event = heap[start]!
    let i = start
    for (;;) {
      const left = 2 * i + 1
      if (left >= size) break
      const right = left + 1
      let child = left
      if (right < size && runsBefore(heap[right]!, heap[left]!)) child = right
      const c = heap[child]!
      if (!runsBefore(c, event)) break
      heap[i] = c
      c.heapIndex = i
      i = child
    }
    heap[i] = event
    event.heapIndex = i
  }
}
