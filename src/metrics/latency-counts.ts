import {createLatencyHistogram, histogramSettings, type LatencyHistogram} from './histograms.js'

const maxUs = histogramSettings.highestTrackableValue
/** Values below this share bucket 0 (one count per microsecond); it is the library's subBucketCount. */
const subBucketCount = 2048
/** log2 of half the sub-bucket count: each bucket above 0 holds 1,024 counts. */
const halfMagnitude = 10
const countsLength = createLatencyHistogram().countsArrayLength

/**
 * The counts array index of a whole number of microseconds in 0..maxUs, exactly as the
 * histogram library computes it (`countsArrayIndex`), in integer arithmetic: bucket =
 * max(floor(log2 v) - 10, 0), index = bucket x 1024 + floor(v / 2^bucket). The library
 * takes a log2, a pow and a division per value.
 */
export function latencyIndex(us: number): number {
  if (us < subBucketCount) return us
  if (us <= 0x7fffffff) {
    const bucket = 31 - Math.clz32(us) - halfMagnitude
    return (bucket << halfMagnitude) + (us >>> bucket)
  }
  // Above 2^31 us (36 minutes) log2 is exact enough for whole numbers below 2^40.
  const bucket = Math.floor(Math.log2(us)) - halfMagnitude
  return bucket * 1024 + Math.floor(us / 2 ** bucket)
}

/**
 * Latencies counted in the bucket layout of the project's histograms, and handed over as
 * one (`toHistogram`) when a replay ends. Recording into the library's histogram
 * directly cost about a quarter of a simulated replay; this holds the same counts, total,
 * minimum and maximum, so the histogram it builds (its summary and its encoding) is the
 * one the values recorded one by one would give.
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
