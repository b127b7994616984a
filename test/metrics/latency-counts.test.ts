import {describe, expect, test} from 'vitest'
import {createLatencyHistogram, encodeHistogram, histogramSettings, recordValueUs, summarizeHistogram} from '../../src/metrics/histograms.js'
import {LatencyCounts} from '../../src/metrics/latency-counts.js'
import {createRng} from './craft-results.js'

const maxUs = histogramSettings.highestTrackableValue

describe('LatencyCounts', () => {
  test('builds the histogram that recording each value into the library gives (counts, summary, encoding, clamping)', () => {
    const rng = createRng(11)
    const direct = createLatencyHistogram()
    const counts = new LatencyCounts()
    let clamped = 0
    const record = (valueUs: number, count = 1): void => {
      clamped += recordValueUs(direct, valueUs, count)
      counts.record(valueUs, count)
    }
    for (let i = 0; i < 5000; i++) record(Math.exp(rng() * 20) - 1.3)
    for (let i = 0; i < 50; i++) record(rng() * 100, 1 + Math.floor(rng() * 40))
    record(maxUs * 3)
    record(-7, 4)
    record(123, 0)
    record(0.4)
    const built = counts.toHistogram()
    expect(counts.clamped).toBe(clamped)
    expect(clamped).toBe(5)
    expect(built.totalCount).toBe(direct.totalCount)
    expect(built.maxValue).toBe(direct.maxValue)
    expect(built.minNonZeroValue).toBe(direct.minNonZeroValue)
    expect(summarizeHistogram(built)).toEqual(summarizeHistogram(direct))
    expect(encodeHistogram(built)).toBe(encodeHistogram(direct))
    expect(() => counts.record(Number.NaN)).toThrow(/NaN/)
  })

  test('an empty one gives an empty histogram', () => {
    const counts = new LatencyCounts()
    const h = counts.toHistogram()
    expect(h.totalCount).toBe(0)
    expect(encodeHistogram(h)).toBe(encodeHistogram(createLatencyHistogram()))
  })
})
