import {describe, expect, it} from 'vitest'
import {EventKind, EventQueue, SimEvent, type EventHandler} from '../../src/kernel/event-queue.js'
import {Simulator} from '../../src/kernel/simulator.js'

const noop: EventHandler = {handleEvent() {}}

describe('event queue', () => {
  it('orders by time, then event kind, then sequence number', () => {
    const queue = new EventQueue()
    const events = [
      new SimEvent(10, EventKind.arrival, 0, noop, 'late arrival'),
      new SimEvent(5, EventKind.sample, 1, noop, 'sample at 5'),
      new SimEvent(5, EventKind.arrival, 2, noop, 'arrival at 5 (seq 2)'),
      new SimEvent(5, EventKind.iterationEnd, 3, noop, 'iteration end at 5'),
      new SimEvent(5, EventKind.arrival, 4, noop, 'arrival at 5 (seq 4)'),
      new SimEvent(5, EventKind.linkUpdate, 5, noop, 'transfer at 5'),
      new SimEvent(5, EventKind.wake, 6, noop, 'wake at 5'),
      new SimEvent(5, EventKind.sessionRelease, 7, noop, 'session turn at 5'),
    ]
    for (const e of events) queue.push(e)
    const order: unknown[] = []
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) order.push(e.data)
    expect(order).toEqual([
      'transfer at 5',
      'iteration end at 5',
      'session turn at 5',
      'arrival at 5 (seq 2)',
      'arrival at 5 (seq 4)',
      'wake at 5',
      'sample at 5',
      'late arrival',
    ])
  })

  it('pops many events in key order (heap property)', () => {
    const queue = new EventQueue()
    let x = 12345
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648
      queue.push(new SimEvent(x % 1000, (x >> 8) % 6 as 0, i, noop, null))
    }
    let prev: SimEvent | undefined
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) {
      if (prev !== undefined) {
        const ordered = prev.timeUs < e.timeUs || (prev.timeUs === e.timeUs && (prev.kind < e.kind || (prev.kind === e.kind && prev.seq < e.seq)))
        expect(ordered).toBe(true)
      }
      prev = e
    }
  })

  it('skips cancelled events and refuses events in the past', async () => {
    const sim = new Simulator()
    const seen: string[] = []
    const handler: EventHandler = {handleEvent: (e) => seen.push(e.data as string)}
    sim.schedule(1, EventKind.arrival, handler, 'a')
    const b = sim.schedule(2, EventKind.arrival, handler, 'b')
    sim.schedule(3, EventKind.arrival, {handleEvent: () => expect(() => sim.schedule(2, EventKind.arrival, handler)).toThrow(/past/)}, null)
    sim.cancel(b)
    await sim.run()
    expect(seen).toEqual(['a'])
  })
})

describe('rescheduling and cancelling', () => {
  it('moves and removes events in place, keeping the heap order', async () => {
    const sim = new Simulator()
    const seen: string[] = []
    const handler: EventHandler = {handleEvent: (e) => seen.push(`${e.data as string}@${e.timeUs}`)}
    const events = Array.from({length: 50}, (_, i) => sim.schedule(100 + i, EventKind.iterationEnd, handler, `e${i}`))
    sim.reschedule(events[40]!, 10)
    sim.reschedule(events[3]!, 10)
    sim.cancel(events[7]!)
    sim.cancel(events[7]!)
    expect(sim.pendingEvents).toBe(49)
    await sim.run()
    // Same time and kind: the one rescheduled first has the lower sequence number.
    expect(seen.slice(0, 3)).toEqual(['e40@10', 'e3@10', 'e0@100'])
    expect(seen).toHaveLength(49)
    expect(seen).not.toContain('e7@107')
  })
})
