import {histogramSettings, latencyIndex, type BucketCounts} from './histogram-counts.js'
import {createLatencyHistogram, type LatencyHistogram} from './histograms.js'

const maxUs = histogramSettings.highestTrackableValue
const countsLength = createLatencyHistogram().countsArrayLength

/**
 * Latencies counted in the bucket layout of the project's histograms: the results of a
 * replay are summarized and encoded from these counts (histogram-counts.ts), or handed
 * over as a library histogram (`toHistogram`). Recording into the library's histogram
 * directly cost about a quarter of a simulated replay; this holds the same counts, total,
 * minimum and maximum, so its summary, its encoding and the histogram it builds are
 * those the values recorded one by one would give.
 *
 * Out-of-range values are clamped as `recordValueUs` does: negative ones to 0, those
 * above the highest trackable value to it; `clamped` counts them. NaN is a caller's bug
 * and throws.
 */
export class LatencyCounts {
  private readonly counts = new Float64Array(countsLength)
  private total = 0
  private max = 0
  private minNonZero = Number.POSITIVE_INFINITY
  /** Occurrences recorded at a clamped value. */
  clamped = 0

  get totalCount(): number {
    return this.total
  }

  /** Records `count` occurrences (1 by default) of a value in microseconds, rounded to a whole number. */
  record(valueUs: number, count = 1): void {
    if (!(count > 0)) return
    let us = Math.round(valueUs)
    if (!(us >= 0)) {
      if (Number.isNaN(us)) throw new Error('internal: recorded a NaN latency')
      us = 0
      this.clamped += count
    } else if (us > maxUs) {
      us = maxUs
      this.clamped += count
    }
    this.counts[latencyIndex(us)]! += count
    this.total += count
    if (us > this.max) this.max = us
    if (us !== 0 && us < this.minNonZero) this.minNonZero = us
  }

  /** The counts up to the largest value recorded (shared, not copied: read them before recording more). */
  bucketCounts(): BucketCounts {
    return {counts: this.counts, total: this.total, limit: latencyIndex(this.max) + 1}
  }

  /** A new histogram holding these counts. */
  toHistogram(): LatencyHistogram {
    const histogram = createLatencyHistogram()
    if (this.total === 0) return histogram
    const counts = this.counts
    const last = latencyIndex(this.max)
    for (let i = 0; i <= last; i++) {
      const count = counts[i]!
      if (count !== 0) histogram.addToCountAtIndex(i, count)
    }
    histogram.addToTotalCount(this.total)
    histogram.updateMinAndMax(this.max)
    if (this.minNonZero !== Number.POSITIVE_INFINITY) histogram.updateMinAndMax(this.minNonZero)
    return histogram
  }
}
