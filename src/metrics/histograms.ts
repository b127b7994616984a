import {build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type JsHistogram} from 'hdr-histogram-js'
import {TracebenchError} from '../common/errors.js'
import type {MetricSummary, UserSpeedSummary} from './results-file.js'

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
  if (decoded.totalCount > 0 && decoded.maxValue > maxUs) {
    throw new TracebenchError(`${label}: histogram holds values above ${maxUs} us, the highest tracebench tracks`, {code: 'INVALID_RESULTS'})
  }
  return decoded
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

/**
 * Count, mean, min, max and the summary percentiles in milliseconds. Every statistic is
 * null when the histogram is empty: "no data" is never shown as 0. Percentiles follow
 * HdrHistogram (the highest value equivalent to the ranked one), min the lowest, and the
 * mean weights each bucket's median value, so a decoded histogram summarises exactly
 * like the one that was recorded.
 */
export function summarizeHistogram(histogram: LatencyHistogram): MetricSummary {
  const count = histogram.totalCount
  if (count === 0) return {count: 0, mean: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null, p999: null}
  const at = (p: number): number => usToMs(histogram.getValueAtPercentile(p))
  return {
    count,
    mean: round3(usToMs(histogram.mean)),
    min: at(0),
    max: at(100),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
  }
}

/**
 * Per-user decode speed (tok/s = 1e6 / tpot us) from the TPOT histogram. Percentiles
 * invert: the slowest 10% of users are the top 10% of TPOT, so userSpeed.p10 = 1e6 /
 * tpot.p90. The mean is the mean of per-request speeds (buckets weighted by count, at
 * their median value); a TPOT of 0 (an infinitely fast user) is left out of it.
 */
export function summarizeUserSpeed(tpot: LatencyHistogram): UserSpeedSummary {
  if (tpot.totalCount === 0) return {p10: null, p50: null, p90: null, mean: null}
  return {
    p10: userSpeedAtPercentile(tpot, 10),
    p50: userSpeedAtPercentile(tpot, 50),
    p90: userSpeedAtPercentile(tpot, 90),
    mean: meanUserSpeed(tpot),
  }
}

/** userSpeed.pX in tok/s from the TPOT histogram, or null when empty or infinite. */
export function userSpeedAtPercentile(tpot: LatencyHistogram, percentile: number): number | null {
  if (tpot.totalCount === 0) return null
  // 100 - 99.9 is 0.0999...; round so the complementary rank is the intended one.
  const complement = Math.round((100 - percentile) * 1e9) / 1e9
  const us = complement === 0 ? tpot.getValueAtPercentile(0) : tpot.getValueAtPercentile(complement)
  return us > 0 ? round3(1e6 / us) : null
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
