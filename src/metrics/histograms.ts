import {build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type JsHistogram} from 'hdr-histogram-js'
import {TracebenchError} from '../common/errors.js'
import type {MetricSummary, UserSpeedSummary} from './summary-schema.js'

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
 */
export const histogramSettings = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 7 * 24 * 3600 * 1_000_000,
  numberOfSignificantValueDigits: 3,
  bitBucketSize: 64,
} as const

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
  return encodeIntoCompressedBase64(histogram)
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

const round3 = (x: number): number => Math.round(x * 1000) / 1000
const usToMs = (us: number): number => us / 1000

/** The value at a percentile (0 < p <= 100) in milliseconds, or null when empty. */
export function valueAtPercentileMs(histogram: LatencyHistogram, percentile: number): number | null {
  if (histogram.totalCount === 0) return null
  return usToMs(histogram.getValueAtPercentile(percentile))
}

/** Percentiles in a summary, ascending: min (0), p50, p90, p95, p99, p999, max (100). */
const summaryPercentiles: readonly number[] = [0, 50, 90, 95, 99, 99.9, 100]
const summaryValuesUs: number[] = new Array<number>(summaryPercentiles.length).fill(0)

/**
 * Count, mean, min, max and the summary percentiles in milliseconds. Every statistic is
 * null when the histogram is empty: "no data" is never shown as 0. Percentiles follow
 * HdrHistogram (the highest value equivalent to the ranked one), min the lowest, and the
 * mean weights each bucket's median value, so a decoded histogram summarises exactly
 * like the one that was recorded. One pass over the buckets gives all of them (the
 * library walks the buckets once per percentile and once more for the mean).
 */
export function summarizeHistogram(histogram: LatencyHistogram): MetricSummary {
  const count = histogram.totalCount
  if (count === 0) return {count: 0, mean: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null, p999: null}
  const v = summaryValuesUs
  const totalUs = scanPercentiles(histogram, summaryPercentiles, v)
  return {
    count,
    mean: round3(usToMs(totalUs / count)),
    min: usToMs(v[0] as number),
    max: usToMs(v[6] as number),
    p50: usToMs(v[1] as number),
    p90: usToMs(v[2] as number),
    p95: usToMs(v[3] as number),
    p99: usToMs(v[4] as number),
    p999: usToMs(v[5] as number),
  }
}

/**
 * The values in microseconds at `percentiles` (ascending, 0..100), in one pass over the
 * buckets; each equals `histogram.getValueAtPercentile(p)`. 0 for an empty histogram.
 */
export function valuesAtPercentilesUs(histogram: LatencyHistogram, percentiles: readonly number[]): number[] {
  const out = new Array<number>(percentiles.length).fill(0)
  scanPercentiles(histogram, percentiles, out)
  return out
}

/** ulp as hdr-histogram-js computes it (its percentile ranks depend on it). */
const ulp = (x: number): number => Math.pow(2, Math.floor(Math.log2(x)) - 52)

/**
 * Fills `out` with the values at ascending `percentiles` exactly as getValueAtPercentile
 * ranks them (same rounding of the rank, same equivalent value), and returns the sum of
 * count x bucket median over all buckets, in index order as `histogram.mean` adds it.
 */
function scanPercentiles(histogram: LatencyHistogram, percentiles: readonly number[], out: number[]): number {
  const total = histogram.totalCount
  const n = percentiles.length
  let k = 0
  let rank = n > 0 ? rankOf(percentiles[0] as number, total) : 0
  let running = 0
  let weighted = 0
  const length = histogram.countsArrayLength
  for (let i = 0; i < length && running < total; i++) {
    const c = histogram.getCountAtIndex(i)
    if (c === 0) continue
    running += c
    const valueAtIndex = histogram.valueFromIndex(i)
    weighted += histogram.medianEquivalentValue(valueAtIndex) * c
    while (k < n && running >= rank) {
      out[k] = percentiles[k] === 0 ? histogram.lowestEquivalentValue(valueAtIndex) : histogram.highestEquivalentValue(valueAtIndex)
      k++
      if (k < n) rank = rankOf(percentiles[k] as number, total)
    }
  }
  for (; k < n; k++) out[k] = 0
  return weighted
}

/** The count a percentile reaches, rounded up as getValueAtPercentile does (at least the first entry). */
function rankOf(percentile: number, total: number): number {
  const fpCount = (Math.min(percentile, 100) / 100) * total
  return Math.max(Math.ceil(fpCount - ulp(fpCount)), 1)
}

/**
 * Per-user decode speed (tok/s = 1e6 / tpot us) from the TPOT histogram. Percentiles
 * invert: the slowest 10% of users are the top 10% of TPOT, so userSpeed.p10 = 1e6 /
 * tpot.p90. The mean is the mean of per-request speeds (buckets weighted by count, at
 * their median value); a TPOT of 0 (an infinitely fast user) is left out of it.
 */
export function summarizeUserSpeed(tpot: LatencyHistogram): UserSpeedSummary {
  if (tpot.totalCount === 0) return {p10: null, p50: null, p90: null, mean: null}
  // userSpeed p10, p50, p90 are tpot p90, p50, p10 (one pass for the three).
  const [tpotP10Us, tpotP50Us, tpotP90Us] = valuesAtPercentilesUs(tpot, [10, 50, 90]) as [number, number, number]
  return {
    p10: speedOf(tpotP90Us),
    p50: speedOf(tpotP50Us),
    p90: speedOf(tpotP10Us),
    mean: meanUserSpeed(tpot),
  }
}

const speedOf = (tpotUs: number): number | null => (tpotUs > 0 ? round3(1e6 / tpotUs) : null)

/** userSpeed.pX in tok/s from the TPOT histogram, or null when empty or infinite. */
export function userSpeedAtPercentile(tpot: LatencyHistogram, percentile: number): number | null {
  if (tpot.totalCount === 0) return null
  // 100 - 99.9 is 0.0999...; round so the complementary rank is the intended one.
  const complement = Math.round((100 - percentile) * 1e9) / 1e9
  return speedOf(complement === 0 ? tpot.getValueAtPercentile(0) : tpot.getValueAtPercentile(complement))
}

function meanUserSpeed(tpot: LatencyHistogram): number | null {
  const lastIndex = tpot.countsArrayIndex(tpot.maxValue)
  let weighted = 0
  let counted = 0
  for (let i = 0; i <= lastIndex; i++) {
    const n = tpot.getCountAtIndex(i)
    if (n === 0) continue
    const us = tpot.medianEquivalentValue(tpot.valueFromIndex(i))
    if (us <= 0) continue
    weighted += (n * 1e6) / us
    counted += n
  }
  return counted === 0 ? null : round3(weighted / counted)
}
