import {build, decodeFromCompressedBase64, type JsHistogram} from 'hdr-histogram-js'
import {TracebenchError} from '../common/errors.js'
import {encodeCounts, histogramSettings, scanPercentiles, summarizeCounts, userSpeedOfCounts, type BucketCounts} from './histogram-counts.js'
import type {MetricSummary, UserSpeedSummary} from './summary-schema.js'

export {histogramSettings} from './histogram-counts.js'

/**
 * The only place histograms are created. Settings are fixed so that every histogram in
 * every results file has the same layout and merges exactly (counts add bucket by bucket).
 *
 * - Values are integer microseconds: 1 us resolution at the low end, 3 significant digits
 *   (0.1% relative error) everywhere, up to 7 days (an overloaded capacity probe can queue
 *   for hours; beyond 7 days values are clamped and counted, never thrown).
 * - The pure-JS implementation, not WASM: it needs no async init in each worker thread, no
 *   manual `destroy()`, and its results do not depend on the runtime. Float64 counts are
 *   exact integers up to 2^53 (a 32-bit count overflows at ~4e9 ITL gaps).
 * - Encoding is the library's compressed base64 (HdrHistogram V2 + deflate), readable by
 *   the Java/Go/Rust HdrHistogram ports too.
 * - Summaries, percentiles and encodings are computed from the bucket counts
 *   (histogram-counts.ts), with the library's arithmetic but without a method call per bucket.
 */

export type LatencyHistogram = JsHistogram

const maxUs = histogramSettings.highestTrackableValue

export function createLatencyHistogram(): LatencyHistogram {
  return build({
    bitBucketSize: histogramSettings.bitBucketSize,
    autoResize: false,
    lowestDiscernibleValue: histogramSettings.lowestDiscernibleValue,
    highestTrackableValue: histogramSettings.highestTrackableValue,
    numberOfSignificantValueDigits: histogramSettings.numberOfSignificantValueDigits,
    useWebAssembly: false,
  }) as LatencyHistogram
}

/**
 * Records `count` occurrences of a value given in microseconds (rounded to an integer).
 * Values above the highest trackable value are recorded as that value, and negative
 * values as 0; the return value is how many occurrences were clamped (0 or `count`), so
 * callers can report them. NaN is a bug in the caller and throws.
 */
export function recordValueUs(histogram: LatencyHistogram, valueUs: number, count = 1): number {
  let us = Math.round(valueUs)
  let clamped = 0
  if (!(us >= 0)) {
    if (Number.isNaN(us)) throw new Error('internal: recorded a NaN latency')
    us = 0
    clamped = count
  } else if (us > maxUs) {
    us = maxUs
    clamped = count
  }
  if (count === 1) histogram.recordValue(us)
  else if (count > 0) histogram.recordValueWithCount(us, count)
  return clamped
}

export function encodeHistogram(histogram: LatencyHistogram): string {
  return encodeCounts(bucketCountsOf(histogram))
}

/**
 * The bucket counts of a histogram, up to its largest value. Every histogram here has the
 * project's layout: created by createLatencyHistogram, or decoded and checked by decodeHistogram.
 */
export function bucketCountsOf(histogram: LatencyHistogram): BucketCounts {
  const limit = histogram.countsArrayIndex(histogram.maxValue) + 1
  const counts = new Float64Array(limit)
  for (let i = 0; i < limit; i++) counts[i] = histogram.getCountAtIndex(i)
  return {counts, total: histogram.totalCount, limit}
}

/** Decodes a compressed base64 histogram; `label` (e.g. `a.json: metrics.ttft.histogram`) names it in errors. */
export function decodeHistogram(encoded: string, label = 'histogram'): LatencyHistogram {
  let decoded: LatencyHistogram
  try {
    decoded = decodeFromCompressedBase64(encoded, histogramSettings.bitBucketSize, false) as LatencyHistogram
  } catch (error) {
    throw new TracebenchError(`${label}: not a valid HDR histogram (compressed base64 V2 expected): ${(error as Error).message}`, {
      code: 'INVALID_RESULTS',
    })
  }
  // Another layout would merge only approximately (values re-recorded at bucket
  // midpoints) and its percentiles would not be the ones this version computes.
  const layout = describeLayoutDifference(decoded)
  if (layout !== null) {
    throw new TracebenchError(`${label}: histogram of another layout (${layout}); tracebench reads only histograms it recorded, so it does not merge or compare this one`, {
      code: 'INVALID_RESULTS',
    })
  }
  if (decoded.totalCount > 0 && decoded.maxValue > maxUs) {
    throw new TracebenchError(`${label}: histogram holds values above ${maxUs} us, the highest tracebench tracks`, {code: 'INVALID_RESULTS'})
  }
  return decoded
}

function describeLayoutDifference(histogram: LatencyHistogram): string | null {
  const fields = ['lowestDiscernibleValue', 'highestTrackableValue', 'numberOfSignificantValueDigits'] as const
  for (const field of fields) {
    if (histogram[field] !== histogramSettings[field]) return `${field} ${histogram[field]}, expected ${histogramSettings[field]}`
  }
  return null
}

/** A new histogram holding the sum of the counts of all inputs (exact: bucket layouts are identical). */
export function mergeHistograms(...inputs: Array<LatencyHistogram | string>): LatencyHistogram {
  const merged = createLatencyHistogram()
  for (const input of inputs) {
    const histogram = typeof input === 'string' ? decodeHistogram(input) : input
    if (histogram.totalCount > 0) merged.add(histogram)
  }
  return merged
}

const usToMs = (us: number): number => us / 1000

/** The value at a percentile (0 < p <= 100) in milliseconds, or null when empty. */
export function valueAtPercentileMs(histogram: LatencyHistogram, percentile: number): number | null {
  if (histogram.totalCount === 0) return null
  return usToMs(histogram.getValueAtPercentile(percentile))
}

/**
 * Count, mean, min, max and the summary percentiles in milliseconds (summarizeCounts):
 * every statistic is null when the histogram is empty, and a decoded histogram
 * summarises exactly like the one that was recorded.
 */
export function summarizeHistogram(histogram: LatencyHistogram): MetricSummary {
  return summarizeCounts(bucketCountsOf(histogram))
}

/**
 * The values in microseconds at `percentiles` (ascending, 0..100), in one pass over the
 * buckets; each equals `histogram.getValueAtPercentile(p)`. 0 for an empty histogram.
 */
export function valuesAtPercentilesUs(histogram: LatencyHistogram, percentiles: readonly number[]): number[] {
  const out = new Array<number>(percentiles.length).fill(0)
  scanPercentiles(bucketCountsOf(histogram), percentiles, out)
  return out
}

/** Per-user decode speed (tok/s = 1e6 / tpot us) from the TPOT histogram (userSpeedOfCounts). */
export function summarizeUserSpeed(tpot: LatencyHistogram): UserSpeedSummary {
  return userSpeedOfCounts(bucketCountsOf(tpot))
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000

/** userSpeed.pX in tok/s from the TPOT histogram, or null when empty or infinite. */
export function userSpeedAtPercentile(tpot: LatencyHistogram, percentile: number): number | null {
  if (tpot.totalCount === 0) return null
  // 100 - 99.9 is 0.0999...; round so the complementary rank is the intended one.
  const complement = Math.round((100 - percentile) * 1e9) / 1e9
  const us = complement === 0 ? tpot.getValueAtPercentile(0) : tpot.getValueAtPercentile(complement)
  return us > 0 ? round3(1e6 / us) : null
}
