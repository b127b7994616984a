import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  histogramSettings,
  mergeHistograms,
  recordValueUs,
  summarizeHistogram,
  summarizeUserSpeed,
  userSpeedAtPercentile,
  valueAtPercentileMs,
  valuesAtPercentilesUs,
  type LatencyHistogram,
} from '../../src/metrics/histograms.js'
import {createRng} from './craft-results.js'

function histogramOf(valuesUs: number[]) {
  const h = createLatencyHistogram()
  for (const v of valuesUs) recordValueUs(h, v)
  return h
}

function randomValues(seed: number, n: number): number[] {
  const rng = createRng(seed)
  return Array.from({length: n}, () => Math.round(Math.exp(rng() * 14)))
}

describe('histograms', () => {
  test('encode/decode round trip keeps every count and summary', () => {
    const h = histogramOf(randomValues(7, 5000))
    const encoded = encodeHistogram(h)
    const decoded = decodeHistogram(encoded)
    expect(decoded.totalCount).toBe(5000)
    expect(summarizeHistogram(decoded)).toEqual(summarizeHistogram(h))
    for (const v of [1, 10, 1000, 2047, 50_000, 1_000_000]) expect(decoded.getCountAtValue(v)).toBe(h.getCountAtValue(v))
    expect(encodeHistogram(decoded)).toBe(encoded)
  })

  test('merged counts are the sum of the parts (bucket by bucket)', () => {
    const a = randomValues(1, 3000)
    const b = randomValues(2, 2000)
    const ha = histogramOf(a)
    const hb = histogramOf(b)
    const merged = mergeHistograms(encodeHistogram(ha), hb)
    expect(merged.totalCount).toBe(ha.totalCount + hb.totalCount)
    for (const v of [...a.slice(0, 200), ...b.slice(0, 200)]) {
      expect(merged.getCountAtValue(v)).toBe(ha.getCountAtValue(v) + hb.getCountAtValue(v))
    }
    // Merging is exact: identical to recording everything in one histogram.
    expect(encodeHistogram(merged)).toBe(encodeHistogram(histogramOf([...a, ...b])))
    // Inputs are not modified.
    expect(ha.totalCount).toBe(3000)
  })

  test('recording order does not change the encoding (deterministic)', () => {
    const values = randomValues(3, 1000)
    expect(encodeHistogram(histogramOf(values))).toBe(encodeHistogram(histogramOf([...values].reverse())))
  })

  test('an empty histogram summarises as no data (nulls), never 0', () => {
    const summary = summarizeHistogram(createLatencyHistogram())
    expect(summary).toEqual({count: 0, mean: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null, p999: null})
    expect(summarizeHistogram(decodeHistogram(encodeHistogram(createLatencyHistogram()))).p50).toBeNull()
    expect(valueAtPercentileMs(createLatencyHistogram(), 90)).toBeNull()
    expect(summarizeUserSpeed(createLatencyHistogram())).toEqual({p10: null, p50: null, p90: null, mean: null})
  })

  test('summaries are in milliseconds, within 0.1% of the exact percentile', () => {
    const h = createLatencyHistogram()
    for (let us = 1; us <= 100_000; us++) recordValueUs(h, us)
    const s = summarizeHistogram(h)
    expect(s.count).toBe(100_000)
    expect(s.min).toBe(0.001)
    expect(s.p50!).toBeGreaterThanOrEqual(50)
    expect(s.p50!).toBeLessThanOrEqual(50 * 1.001)
    expect(s.p99!).toBeGreaterThanOrEqual(99)
    expect(s.p99!).toBeLessThanOrEqual(99 * 1.001)
    expect(s.p999!).toBeGreaterThanOrEqual(99.9)
    expect(s.max!).toBeGreaterThanOrEqual(100)
    expect(s.max!).toBeLessThanOrEqual(100.1)
    expect(s.mean!).toBeCloseTo(50, 0)
  })

  test('a zero value is a real minimum of 0', () => {
    const s = summarizeHistogram(histogramOf([0, 0, 5000]))
    expect(s.min).toBe(0)
    expect(s.p50).toBe(0)
  })

  test('values above the highest trackable value are clamped and counted, not thrown', () => {
    const h = createLatencyHistogram()
    const max = histogramSettings.highestTrackableValue
    expect(recordValueUs(h, max * 10)).toBe(1)
    expect(recordValueUs(h, max + 1, 5)).toBe(5)
    expect(recordValueUs(h, 1000)).toBe(0)
    expect(recordValueUs(h, -3)).toBe(1)
    expect(h.totalCount).toBe(8)
    const s = summarizeHistogram(h)
    expect(s.max!).toBeGreaterThanOrEqual(max / 1000)
    expect(s.min).toBe(0)
    expect(() => recordValueUs(h, Number.NaN)).toThrow(/NaN/)
  })

  test('fractional microseconds are rounded to integers', () => {
    const h = histogramOf([999.6, 1000.4])
    expect(h.getCountAtValue(1000)).toBe(2)
  })

  test('recordValueUs with a count records run-length ITL pairs', () => {
    const h = createLatencyHistogram()
    recordValueUs(h, 2000, 250)
    recordValueUs(h, 3000, 50)
    expect(h.totalCount).toBe(300)
    expect(summarizeHistogram(h).p50).toBe(2)
    // HdrHistogram reports the highest value equivalent to the ranked one (3000 us shares a 2 us bucket).
    expect(summarizeHistogram(h).p90).toBe(3.001)
  })

  test('userSpeed percentiles invert TPOT percentiles (p10 speed = 1000 / p90 TPOT ms)', () => {
    const tpot = histogramOf(randomValues(11, 4000).map((v) => 200 + (v % 50_000)))
    const s = summarizeHistogram(tpot)
    const speed = summarizeUserSpeed(tpot)
    expect(speed.p10).toBeCloseTo(1000 / s.p90!, 2)
    expect(speed.p90!).toBeCloseTo(1000 / valueAtPercentileMs(tpot, 10)!, 2)
    expect(speed.p50!).toBeCloseTo(1000 / s.p50!, 2)
    expect(speed.p10!).toBeLessThan(speed.p50!)
    expect(speed.p50!).toBeLessThan(speed.p90!)
  })

  test('userSpeed mean is the mean of per-request speeds, not 1000 / mean TPOT', () => {
    // Two users: 1 ms/token (1000 tok/s) and 4 ms/token (250 tok/s): mean speed 625, not 400.
    const speed = summarizeUserSpeed(histogramOf([1000, 4000]))
    expect(speed.mean!).toBeGreaterThan(620)
    expect(speed.mean!).toBeLessThan(630)
  })

  test('decoding garbage throws a TracebenchError naming the histogram', () => {
    expect(() => decodeHistogram('not-a-histogram', 'a.json: metrics.ttft.histogram')).toThrow(TracebenchError)
    expect(() => decodeHistogram('not-a-histogram', 'a.json: metrics.ttft.histogram')).toThrow(/a\.json: metrics\.ttft\.histogram/)
  })
})

/** The summary as the library computes it: one walk per percentile, and its own mean. */
function summarizePerPercentile(h: LatencyHistogram) {
  const at = (p: number): number => h.getValueAtPercentile(p) / 1000
  return {
    count: h.totalCount,
    mean: Math.round((h.mean / 1000) * 1000) / 1000,
    min: at(0),
    max: at(100),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
  }
}

describe('single-pass summaries equal the per-percentile method', () => {
  const rng = createRng(2024)
  const shapes: Array<[string, () => number]> = [
    ['log-uniform 1 us..1 s', () => Math.round(Math.exp(rng() * 14))],
    ['narrow (one HDR bucket range)', () => 20_000 + Math.floor(rng() * 40)],
    ['heavy tail up to days', () => Math.round(1000 / Math.max(1e-9, rng()) ** 2)],
    ['small integers with zeros', () => Math.floor(rng() * 4)],
  ]
  for (const [name, draw] of shapes) {
    test(`random data: ${name}`, () => {
      for (const n of [1, 2, 3, 10, 999, 1000, 1001, 25_000]) {
        const h = createLatencyHistogram()
        for (let i = 0; i < n; i++) recordValueUs(h, draw(), 1 + Math.floor(rng() * 3))
        expect(summarizeHistogram(h)).toEqual(summarizePerPercentile(h))
        const decoded = decodeHistogram(encodeHistogram(h))
        expect(summarizeHistogram(decoded)).toEqual(summarizePerPercentile(decoded))
      }
    })
  }

  test('any ascending percentiles match getValueAtPercentile, and userSpeed matches its per-percentile form', () => {
    for (let round = 0; round < 20; round++) {
      const h = createLatencyHistogram()
      const n = 1 + Math.floor(rng() * 5000)
      for (let i = 0; i < n; i++) recordValueUs(h, Math.round(Math.exp(rng() * 16)), 1 + Math.floor(rng() * 1000))
      const percentiles = [0, 100, 99.9, 99.99, 50, 1e-9, 33.3, 66.7, 12.5, ...Array.from({length: 20}, () => rng() * 100)].sort((a, b) => a - b)
      expect(valuesAtPercentilesUs(h, percentiles)).toEqual(percentiles.map((p) => h.getValueAtPercentile(p)))
      const speed = summarizeUserSpeed(h)
      expect([speed.p10, speed.p50, speed.p90]).toEqual([userSpeedAtPercentile(h, 10), userSpeedAtPercentile(h, 50), userSpeedAtPercentile(h, 90)])
    }
    expect(valuesAtPercentilesUs(createLatencyHistogram(), [50, 90])).toEqual([0, 0])
  })

  test('ranks round as the library does (p99.9 of 1,000 values is the 999th, not the 1,000th)', () => {
    for (const total of [1000, 2000, 3000]) {
      const h = histogramOf(Array.from({length: total}, (_, i) => 1000 + i * 37))
      expect(summarizeHistogram(h)).toEqual(summarizePerPercentile(h))
      expect(summarizeHistogram(h).p999).toBeLessThan(summarizeHistogram(h).max as number)
    }
  })

  test('merged histograms summarise the same both ways', () => {
    const parts = [1, 2, 3].map((seed) => histogramOf(randomValues(seed, 4000)))
    const merged = mergeHistograms(...parts)
    expect(summarizeHistogram(merged)).toEqual(summarizePerPercentile(merged))
  })
})
