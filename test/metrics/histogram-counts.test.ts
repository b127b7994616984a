import {encodeIntoCompressedBase64} from 'hdr-histogram-js'
import {describe, expect, test} from 'vitest'
import {bucketValue, latencyIndex} from '../../src/metrics/histogram-counts.js'
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  histogramSettings,
  recordValueUs,
  summarizeHistogram,
  summarizeUserSpeed,
  valuesAtPercentilesUs,
  type LatencyHistogram,
} from '../../src/metrics/histograms.js'
import {LatencyCounts} from '../../src/metrics/latency-counts.js'
import {createRng} from './craft-results.js'

const maxUs = histogramSettings.highestTrackableValue

/** What the library itself says, method by method (the reference the counts must match). */
function librarySummary(h: LatencyHistogram) {
  if (h.totalCount === 0) return {count: 0, mean: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null, p999: null}
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000
  return {count: h.totalCount, mean: Math.round((h.mean / 1000) * 1000) / 1000, min: ms(0), max: ms(100), p50: ms(50), p90: ms(90), p95: ms(95), p99: ms(99), p999: ms(99.9)}
}

function randomHistogram(seed: number, n: number, spread: number): {histogram: LatencyHistogram; counts: LatencyCounts} {
  const rng = createRng(seed)
  const histogram = createLatencyHistogram()
  const counts = new LatencyCounts()
  for (let i = 0; i < n; i++) {
    const value = Math.exp(rng() * spread) - 1
    const count = rng() < 0.1 ? 1 + Math.floor(rng() * 1000) : 1
    recordValueUs(histogram, value, count)
    counts.record(value, count)
  }
  return {histogram, counts}
}

describe('histogram counts', () => {
  test('index and bucket values are the library index and values at every bucket edge and across the range', () => {
    const h = createLatencyHistogram()
    const values: number[] = []
    for (let us = 0; us < 70_000; us++) values.push(us)
    for (let k = 11; 2 ** k <= maxUs; k++) values.push(2 ** k - 1, 2 ** k, 2 ** k + 1, 3 * 2 ** (k - 1))
    const rng = createRng(3)
    for (let i = 0; i < 20_000; i++) values.push(Math.round(rng() ** 4 * maxUs))
    values.push(0x7fffffff, 0x80000000, maxUs - 1, maxUs)
    for (const us of values) {
      if (latencyIndex(us) !== h.countsArrayIndex(us)) expect.fail(`index of ${us}: ${latencyIndex(us)}, library ${h.countsArrayIndex(us)}`)
    }
    for (let i = 0; i < h.countsArrayLength; i++) {
      if (bucketValue(i) !== h.valueFromIndex(i)) expect.fail(`value of bucket ${i}: ${bucketValue(i)}, library ${h.valueFromIndex(i)}`)
    }
  })

  test('summaries, percentiles, user speed and encodings equal the library methods on random histograms', () => {
    for (const [seed, n, spread] of [
      [1, 1, 5],
      [2, 50, 8],
      [3, 5000, 14],
      [4, 20_000, 22],
      [5, 3000, 27],
    ] as const) {
      const {histogram, counts} = randomHistogram(seed, n, spread)
      const summary = summarizeHistogram(histogram)
      expect(summary).toEqual(librarySummary(histogram))
      const percentiles = [0, 1, 10, 33.3, 50, 90, 99.99, 100]
      expect(valuesAtPercentilesUs(histogram, percentiles)).toEqual(percentiles.map((p) => histogram.getValueAtPercentile(p)))
      const library = encodeIntoCompressedBase64(histogram)
      expect(encodeHistogram(histogram)).toBe(library)
      // The recorder's path: straight from the counts, no library histogram at all.
      expect(counts.toHistogram().totalCount).toBe(histogram.totalCount)
      expect(encodeHistogram(counts.toHistogram())).toBe(library)
      expect(summarizeUserSpeed(decodeHistogram(library))).toEqual(summarizeUserSpeed(histogram))
    }
  })

  test('an empty histogram: null summary, the library encoding', () => {
    const h = createLatencyHistogram()
    expect(summarizeHistogram(h).count).toBe(0)
    expect(summarizeHistogram(h).p50).toBeNull()
    expect(encodeHistogram(h)).toBe(encodeIntoCompressedBase64(h))
    expect(valuesAtPercentilesUs(h, [50])).toEqual([0])
  })

  test('large counts (billions of inter-token gaps in one bucket) encode as the library does', () => {
    const h = createLatencyHistogram()
    recordValueUs(h, 12_000, 2 ** 40 + 12_345)
    recordValueUs(h, 9, 7)
    expect(encodeHistogram(h)).toBe(encodeIntoCompressedBase64(h))
  })
})
