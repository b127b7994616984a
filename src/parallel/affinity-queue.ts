/**
 * Hands out jobs to the threads of a pool so that each thread keeps to as few backends as
 * it can. A thread's first replay of a backend is two to four times slower than the next
 * ones: V8 compiles the simulator's hot paths for that backend's object shapes, in that
 * thread's isolate, and the compile work runs on helper threads that compete with the
 * replays for the same cores. Sending every thread every backend repeats that work in each
 * isolate; keeping a thread on one backend while it has points left does it once.
 *
 * Which thread runs a job never changes its results (every replay is an independent,
 * seeded run), only how much compile work the pool repeats.
 */
export class AffinityQueue {
  /** Pending job indices per group, in job order. */
  private readonly pending = new Map<string, number[]>()
  /** How many threads are working on each group now. */
  private readonly active = new Map<string, number>()
  private remaining: number

  /** `groups[i]` is job i's group (its backend, as a key). */
  constructor(groups: readonly string[]) {
    groups.forEach((group, index) => {
      const list = this.pending.get(group)
      if (list === undefined) this.pending.set(group, [index])
      else list.push(index)
    })
    this.remaining = groups.length
  }

  get size(): number {
    return this.remaining
  }

  /**
   * The next job for a thread whose last job was of group `last` (undefined for a thread's
   * first job): the next job of that group while it has any; else the next job of the
   * group with the most jobs left among those no thread is on; else (every group with jobs
   * left is taken) the next job of the group with the most jobs left. Undefined when no
   * job is left. Within a group, jobs start in job order.
   */
  take(last: string | undefined): {index: number; group: string} | undefined {
    if (this.remaining === 0) return undefined
    if (last !== undefined) {
      const own = this.pending.get(last)
      if (own !== undefined && own.length > 0) return this.claim(last, own.shift() as number)
    }
    let free: string | undefined
    let busiest: string | undefined
    for (const [group, list] of this.pending) {
      if (list.length === 0) continue
      if ((this.active.get(group) ?? 0) === 0 && (free === undefined || list.length > (this.pending.get(free) as number[]).length)) free = group
      if (busiest === undefined || list.length > (this.pending.get(busiest) as number[]).length) busiest = group
    }
    const group = (free ?? busiest) as string
    return this.claim(group, (this.pending.get(group) as number[]).shift() as number)
  }

  /** A thread finished (or gave up) a job of `group`. */
  release(group: string): void {
    const count = this.active.get(group) ?? 0
    if (count <= 1) this.active.delete(group)
    else this.active.set(group, count - 1)
  }

  private claim(group: string, index: number): {index: number; group: string} {
    this.active.set(group, (this.active.get(group) ?? 0) + 1)
    this.remaining--
    return {index, group}
  }
}
