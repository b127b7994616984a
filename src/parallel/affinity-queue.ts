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
export class AffinityQueue<T> {
  /** Pending jobs per group, in the order they were added. */
  private readonly pending = new Map<string, T[]>()
  /** How many threads are working on each group now. */
  private readonly active = new Map<string, number>()
  private remaining = 0

  get size(): number {
    return this.remaining
  }

  add(group: string, job: T): void {
    const list = this.pending.get(group)
    if (list === undefined) this.pending.set(group, [job])
    else list.push(job)
    this.remaining++
  }

  /**
   * The next job for a thread whose last job was of group `last` (undefined for a thread's
   * first job): the next job of that group while it has any; else the next job of the
   * group with the most jobs left among those no thread is on; else (every group with jobs
   * left is taken) the next job of the group with the most jobs left. Undefined when no
   * job is left. Within a group, jobs start in the order they were added.
   */
  take(last: string | undefined): {job: T; group: string} | undefined {
    if (this.remaining === 0) return undefined
    if (last !== undefined && this.pending.has(last)) return this.claim(last)
    let free: string | undefined
    let busiest: string | undefined
    let freeLength = 0
    let busiestLength = 0
    for (const [group, list] of this.pending) {
      if ((this.active.get(group) ?? 0) === 0 && list.length > freeLength) {
        free = group
        freeLength = list.length
      }
      if (list.length > busiestLength) {
        busiest = group
        busiestLength = list.length
      }
    }
    const group = free ?? busiest
    return group === undefined ? undefined : this.claim(group)
  }

  /** A thread finished (or gave up) a job of `group`. */
  release(group: string): void {
    const count = this.active.get(group) ?? 0
    if (count <= 1) this.active.delete(group)
    else this.active.set(group, count - 1)
  }

  /** Drops the pending jobs that `match` (a failed run's): they will not start. */
  drop(match: (job: T) => boolean): void {
    for (const [group, list] of this.pending) {
      const kept = list.filter((job) => !match(job))
      this.remaining -= list.length - kept.length
      if (kept.length === 0) this.pending.delete(group)
      else this.pending.set(group, kept)
    }
  }

  private claim(group: string): {job: T; group: string} {
    const list = this.pending.get(group) as T[]
    const job = list.shift() as T
    if (list.length === 0) this.pending.delete(group)
    this.active.set(group, (this.active.get(group) ?? 0) + 1)
    this.remaining--
    return {job, group}
  }
}
