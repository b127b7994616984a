import {describe, expect, test} from 'vitest'
import {AffinityQueue} from '../../src/parallel/affinity-queue.js'

/** Plays a pool of `threads` threads where job i takes `costs[i]` time units; returns each thread's jobs in order. */
function queueOf(groups: string[]): AffinityQueue<number> {
  const queue = new AffinityQueue<number>()
  groups.forEach((group, index) => queue.add(group, index))
  return queue
}

function simulate(groups: string[], costs: number[], threads: number): number[][] {
  const queue = queueOf(groups)
  const ran: number[][] = Array.from({length: threads}, () => [])
  const busyUntil = new Array<number>(threads).fill(0)
  const current: Array<{job: number; group: string} | undefined> = new Array(threads).fill(undefined)
  const last: Array<string | undefined> = new Array(threads).fill(undefined)
  for (let t = 0; t < threads; t++) start(t, 0)
  while (current.some((c) => c !== undefined)) {
    // The thread that finishes first (lowest index on ties) takes the next job.
    let next = -1
    for (let t = 0; t < threads; t++) if (current[t] !== undefined && (next < 0 || (busyUntil[t] as number) < (busyUntil[next] as number))) next = t
    const job = current[next] as {job: number; group: string}
    queue.release(job.group)
    last[next] = job.group
    start(next, busyUntil[next] as number)
  }
  return ran

  function start(t: number, now: number): void {
    const job = queue.take(last[t])
    current[t] = job
    if (job === undefined) return
    ran[t]?.push(job.job)
    busyUntil[t] = now + (costs[job.job] as number)
  }
}

describe('AffinityQueue', () => {
  test('keeps each thread on one backend while its backend has jobs, then lends a hand', () => {
    // Sweep order: backend-major, 4 points of a (cheap) then 4 of b (twice as dear).
    const groups = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b']
    const costs = [1, 1, 1, 1, 2, 2, 2, 2]
    const [first, second] = simulate(groups, costs, 2)
    // Thread 1 runs all of a (times 0-4) while thread 2 starts b; then both share b's rest.
    expect(first).toEqual([0, 1, 2, 3, 6])
    expect(second).toEqual([4, 5, 7])
  })

  test('a thread that runs out of its own group takes one no thread is on before sharing one', () => {
    const groups = ['a', 'a', 'b', 'b', 'c', 'c', 'c']
    const [first, second] = simulate(groups, [1, 1, 5, 5, 1, 1, 1], 2)
    // c has the most jobs, so the first thread starts there and the second on a (a free
    // group). When a runs out, the second thread takes b, no thread's yet; when c runs out,
    // the first thread has no free group left and shares b.
    expect(first).toEqual([4, 5, 6, 3])
    expect(second).toEqual([0, 1, 2])
    expect([...(first as number[]), ...(second as number[])].sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  test('with one group, jobs start in job order', () => {
    const queue = queueOf(['x', 'x', 'x'])
    expect(queue.take(undefined)?.job).toBe(0)
    expect(queue.take(undefined)?.job).toBe(1)
    expect(queue.size).toBe(1)
    expect(queue.take('x')?.job).toBe(2)
    expect(queue.take('x')).toBeUndefined()
  })

  test('hands out every job exactly once with more threads than jobs', () => {
    const ran = simulate(['a', 'b', 'a'], [3, 1, 2], 5)
    expect(ran.flat().sort()).toEqual([0, 1, 2])
    expect(ran.filter((jobs) => jobs.length > 0)).toHaveLength(3)
  })

  test('dropped jobs never start', () => {
    const queue = queueOf(['a', 'a', 'b', 'b'])
    queue.drop((job) => job % 2 === 1)
    expect(queue.size).toBe(2)
    expect([queue.take(undefined)?.job, queue.take(undefined)?.job].sort()).toEqual([0, 2])
    expect(queue.take(undefined)).toBeUndefined()
  })
})
