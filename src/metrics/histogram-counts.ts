import {deflateSync} from 'node:zlib'
import type {MetricSummary, UserSpeedSummary} from './summary-schema.js'

/**
 * The project's histogram layout and everything read from it, computed from a plain
 * array of bucket counts. hdr-histogram-js gives the same figures through a method call
 * (with a log2, a pow and a division) per bucket; a replay's results summarize and
 * encode six histograms of ~30,000 buckets, which cost a tenth of a short replay that
 * way. Every function here returns exactly what the library's own methods return (the
 * tests compare them over every bucket and on random histograms, encodings included).
 *
 * Settings are fixed so that every histogram in every results file has the same layout
 * and merges exactly (counts add bucket by bucket): integer microseconds, 1 us
 * resolution at the low end, 3 significant digits (0.1% relative error), up to 7 days.
 */
export const histogramSettings = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 7 * 24 * 3600 * 1_000_000,
  numberOfSignificantValueDigits: 3,
  bitBucketSize: 64,
} as const

/** Values below this share bucket 0 (one count per microsecond): the library's subBucketCount. */
const subBucketCount = 2048
/** log2 of half the sub-bucket count: each bucket above 0 holds 1,024 counts. */
const halfMagnitude = 10

/**
 * The counts index of a whole number of microseconds in 0..highestTrackableValue, as
 * the library's `countsArrayIndex`: bucket = max(floor(log2 v) - 10, 0), index = bucket
 * x 1024 + floor(v / 2^bucket), in integer arithmetic.
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

/** The lowest value of bucket `index` (the library's valueFromIndex). */
export function bucketValue(index: number): number {
  if (index < subBucketCount) return index
  return ((index & 1023) + 1024) * 2 ** ((index >> halfMagnitude) - 1)
}

/** How many values share bucket `index` (the library's sizeOfEquivalentValueRange). */
function bucketWidth(index: number): number {
  return index < subBucketCount ? 1 : 2 ** ((index >> halfMagnitude) - 1)
}

/** Bucket counts: `counts[i]` for i < `limit` holds every count (limit = index of the largest value + 1). */
export interface BucketCounts {
  readonly counts: ArrayLike<number>
  readonly total: number
  readonly limit: number
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000
const usToMs = (us: number): number => us / 1000

/** Percentiles in a summary, ascending: min (0), p50, p90, p95, p99, p999, max (100). */
const summaryPercentiles: readonly number[] = [0, 50, 90, 95, 99, 99.9, 100]
const summaryValuesUs: number[] = new Array<number>(summaryPercentiles.length).fill(0)

/**
 * Count, mean, min, max and the summary percentiles in milliseconds. Every statistic is
 * null when there are no counts: "no data" is never shown as 0. Percentiles follow
 * HdrHistogram (the highest value equivalent to the ranked one), min the lowest, and the
 * mean weights each bucket's median value, so a decoded histogram summarises exactly
 * like the one that was recorded.
 */
export function summarizeCounts(c: BucketCounts): MetricSummary {
  const count = c.total
  if (count === 0) return {count: 0, mean: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null, p999: null}
  const v = summaryValuesUs
  const totalUs = scanPercentiles(c, summaryPercentiles, v)
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
 * Fills `out` with the values in microseconds at ascending `percentiles` (0..100) exactly
 * as getValueAtPercentile ranks them (same rounding of the rank, same equivalent value;
 * 0 when there are no counts), and returns the sum of count x bucket median over all
 * buckets, in index order as the library's mean adds it. One pass over the buckets.
 */
export function scanPercentiles(c: BucketCounts, percentiles: readonly number[], out: number[]): number {
  const counts = c.counts
  const total = c.total
  const limit = c.limit
  const n = percentiles.length
  let k = 0
  let rank = n > 0 ? rankOf(percentiles[0] as number, total) : 0
  let running = 0
  let weighted = 0
  for (let i = 0; i < limit && running < total; i++) {
    const count = counts[i] as number
    if (count === 0) continue
    running += count
    const value = bucketValue(i)
    const width = bucketWidth(i)
    weighted += (value + Math.floor(width / 2)) * count
    while (k < n && running >= rank) {
      out[k] = percentiles[k] === 0 ? value : value + width - 1
      k++
      if (k < n) rank = rankOf(percentiles[k] as number, total)
    }
  }
  for (; k < n; k++) out[k] = 0
  return weighted
}

/** ulp as hdr-histogram-js computes it (its percentile ranks depend on it). */
const ulp = (x: number): number => Math.pow(2, Math.floor(Math.log2(x)) - 52)

/** The count a percentile reaches, rounded up as getValueAtPercentile does (at least the first entry). */
function rankOf(percentile: number, total: number): number {
  const fpCount = (Math.min(percentile, 100) / 100) * total
  return Math.max(Math.ceil(fpCount - ulp(fpCount)), 1)
}

const speedOf = (tpotUs: number): number | null => (tpotUs > 0 ? round3(1e6 / tpotUs) : null)
const userSpeedPercentiles: readonly number[] = [10, 50, 90]
const userSpeedValuesUs: number[] = [0, 0, 0]

/**
 * Per-user decode speed (tok/s = 1e6 / tpot us) from TPOT counts. Percentiles invert:
 * the slowest 10% of users are the top 10% of TPOT, so userSpeed.p10 = 1e6 / tpot.p90.
 * The mean is the mean of per-request speeds (buckets weighted by count, at their median
 * value); a TPOT of 0 (an infinitely fast user) is left out of it.
 */
export function userSpeedOfCounts(tpot: BucketCounts): UserSpeedSummary {
  if (tpot.total === 0) return {p10: null, p50: null, p90: null, mean: null}
  scanPercentiles(tpot, userSpeedPercentiles, userSpeedValuesUs)
  const [tpotP10Us, tpotP50Us, tpotP90Us] = userSpeedValuesUs as [number, number, number]
  return {p10: speedOf(tpotP90Us), p50: speedOf(tpotP50Us), p90: speedOf(tpotP10Us), mean: meanUserSpeed(tpot)}
}

function meanUserSpeed(tpot: BucketCounts): number | null {
  const counts = tpot.counts
  let weighted = 0
  let counted = 0
  for (let i = 0; i < tpot.limit; i++) {
    const n = counts[i] as number
    if (n === 0) continue
    const us = bucketValue(i) + Math.floor(bucketWidth(i) / 2)
    if (us <= 0) continue
    weighted += (n * 1e6) / us
    counted += n
  }
  return counted === 0 ? null : round3(weighted / counted)
}

// The library's V2 encoding: a header, the counts as ZigZag LEB128 with runs of zeros
// written as one negative number, deflated, behind a second header, in base64.
const encodingCookie = 0x1c849303 | 0x10
const compressedEncodingCookie = 0x1c849304 | 0x10

/** The compressed base64 encoding hdr-histogram-js writes for these counts (encodeIntoCompressedBase64). */
export function encodeCounts(c: BucketCounts): string {
  const out = new ByteWriter(64 + c.limit)
  out.int32(encodingCookie)
  out.int32(0) // payload length, filled in below
  out.int32(1) // normalizing index offset
  out.int32(histogramSettings.numberOfSignificantValueDigits)
  out.int64(histogramSettings.lowestDiscernibleValue)
  out.int64(histogramSettings.highestTrackableValue)
  out.int64(1) // integer to double conversion ratio
  const payloadStart = out.length
  const counts = c.counts
  const limit = c.limit
  let i = 0
  while (i < limit) {
    const count = counts[i++] as number
    let zeros = 0
    if (count === 0) {
      zeros = 1
      while (i < limit && counts[i] === 0) {
        zeros++
        i++
      }
    }
    out.zigZag(zeros > 1 ? -zeros : count)
  }
  out.setInt32(4, out.length - payloadStart)
  const compressed = deflateSync(out.bytes())
  const framed = new ByteWriter(8 + compressed.byteLength)
  framed.int32(compressedEncodingCookie)
  framed.int32(compressed.byteLength)
  framed.append(compressed)
  return Buffer.from(framed.bytes()).toString('base64')
}

/** Big-endian bytes, as the library's ByteBuffer writes them. */
class ByteWriter {
  private data: Uint8Array
  length = 0

  constructor(capacity: number) {
    this.data = new Uint8Array(capacity)
  }

  bytes(): Uint8Array {
    return this.data.subarray(0, this.length)
  }

  byte(value: number): void {
    if (this.length === this.data.length) this.grow(1)
    this.data[this.length++] = value
  }

  int32(value: number): void {
    this.grow(4)
    this.setInt32(this.length, value)
    this.length += 4
  }

  setInt32(at: number, value: number): void {
    const word = value >>> 0
    this.data[at] = word >>> 24
    this.data[at + 1] = (word >>> 16) & 0xff
    this.data[at + 2] = (word >>> 8) & 0xff
    this.data[at + 3] = word & 0xff
  }

  int64(value: number): void {
    this.int32(Math.floor(value / 2 ** 32))
    this.int32(value)
  }

  append(bytes: Uint8Array): void {
    this.grow(bytes.byteLength)
    this.data.set(bytes, this.length)
    this.length += bytes.byteLength
  }

  /** ZigZag LEB128-64b9B, byte for byte as the library's ZigZagEncoding.encode. */
  zigZag(signed: number): void {
    const value = signed >= 0 ? signed * 2 : -signed * 2 - 1
    if (value < 2 ** 7) {
      this.byte(value)
      return
    }
    this.byte(value | 0x80)
    for (let shift = 7; shift <= 42; shift += 7) {
      const part = Math.floor(value / 2 ** shift)
      if (value < 2 ** (shift + 7)) {
        this.byte(part)
        return
      }
      this.byte(part | 0x80)
    }
    // Values of 2^49 and more (a count no replay reaches): the library's last two bytes.
    if (value < 2 ** 56) {
      this.byte(Math.floor(value / 2 ** 49))
      return
    }
    this.byte(Math.floor(value / 2 ** 49) + 0x80)
    this.byte(Math.floor(value / 2 ** 56))
  }

  private grow(extra: number): void {
    if (this.length + extra <= this.data.length) return
    const bigger = new Uint8Array(Math.max(this.data.length * 2, this.length + extra))
    bigger.set(this.data.subarray(0, this.length))
    this.data = bigger
  }
}
