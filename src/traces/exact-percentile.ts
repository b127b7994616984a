/**
 * Exact percentile of ascending `sorted` values by linear interpolation between the
 * closest ranks: rank = p/100 * (n - 1), as numpy.percentile does by default (and as the
 * shared traces README computed its tables). `p` in [0, 100]; NaN for no values.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1)
  const low = Math.floor(rank)
  const high = Math.min(n - 1, low + 1)
  const lowValue = sorted[low] as number
  return lowValue + ((sorted[high] as number) - lowValue) * (rank - low)
}

/** A Float64Array that grows by doubling: exact percentiles over millions of rows in 8 bytes each. */
export class NumberColumn {
  private values = new Float64Array(1024)
  private count = 0

  get length(): number {
    return this.count
  }

  push(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.count++] = value
  }

  /** The values so far, sorted ascending in place (a view of the internal buffer, no copy). */
  sorted(): Float64Array {
    return this.values.subarray(0, this.count).sort()
  }
}
