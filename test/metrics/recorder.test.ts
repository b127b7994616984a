import {describe, expect, test} from 'vitest'
import {decodeHistogram} from '../../src/metrics/histograms.js'
import {MetricsRecorder} from '../../src/metrics/recorder.js'
import type {RequestOutcome} from '../../src/metrics/request-outcome.js'
import {parseSlos} from '../../src/metrics/slo.js'
import {craftOutcomes} from './craft-results.js'

/** HdrHistogram values are within 0.1% of what was recorded. */
function expectNear(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull()
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(expected * 0.001 + 0.001)
}

function outcome(overrides: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    index: 0,
    arrivalUs: 1_000_000,
    startUs: 1_250_000,
    firstTokenUs: 1_800_000,
    completionUs: 1_800_000 + 99 * 20_000,
    inputTokens: 500,
    outputTokens: 100,
    cachedTokens: 128,
    kvTransferUs: 0,
    itlGapsUs: [[20_000, 99]],
    preemptions: 1,
    ...overrides,
  }
}

describe('MetricsRecorder', () => {
  test('records the brief definitions of TTFT, TPOT, E2E, queue, ITL for one request', () => {
    const recorder = new MetricsRecorder()
    recorder.recordOutcome(outcome())
    const s = recorder.finish({startUs: 1_000_000, endUs: 3_780_000})
    expectNear(s.metrics.ttft.p50, 800) // first token - scheduled arrival, queueing included
    expectNear(s.metrics.queue.p50, 250) // admission - arrival
    expectNear(s.metrics.tpot.p50, 20) // (e2e - ttft) / (output - 1)
    expectNear(s.metrics.e2e.p50, 2780) // completion - arrival
    expectNear(s.metrics.itl.p50, 20)
    expect(s.metrics.itl.count).toBe(99)
    expect(s.metrics.kvTransfer.count).toBe(0) // aggregated: no data, not zeros
    expect(s.metrics.kvTransfer.p50).toBeNull()
    expect(s.metrics.sendLag).toBeUndefined()
    expectNear(s.userSpeed.p50, 50) // 1000 / 20 ms
    expect(s.counters).toMatchObject({requests: 1, completed: 1, failed: 0, inputTokens: 500, outputTokens: 100, cachedTokens: 128, preemptions: 1})
  })

  test('histograms hold one value per request (per gap for ITL), and skip what does not apply', () => {
    const recorder = new MetricsRecorder()
    recorder.recordOutcome(outcome())
    recorder.recordOutcome(outcome({index: 1, outputTokens: 1, completionUs: 1_800_000, itlGapsUs: []}))
    recorder.recordOutcome(outcome({index: 2, kvTransferUs: 15_000, itlGapsUs: [[10_000, 50], [30_000, 49]]}))
    recorder.recordOutcome(outcome({index: 3, sendLagUs: 300}))
    const s = recorder.finish({startUs: 0, endUs: 10_000_000})
    expect(s.metrics.ttft.count).toBe(4)
    expect(s.metrics.tpot.count).toBe(3) // a one-token request has no TPOT
    expect(s.metrics.itl.count).toBe(99 + 50 + 49 + 99)
    expect(s.metrics.kvTransfer.count).toBe(1)
    expectNear(s.metrics.kvTransfer.p50, 15)
    expect(s.metrics.sendLag?.count).toBe(1)
    expectNear(s.metrics.sendLag?.p50 ?? null, 0.3)
    expect(decodeHistogram(s.metrics.itl.histogram).totalCount).toBe(297)
  })

  test('recordItlGaps adds per-replica gaps to the ITL histogram with their counts', () => {
    const recorder = new MetricsRecorder()
    const gaps: Array<[number, number]> = [
      [4_000, 7],
      [4_000, 1],
      [12_345, 300],
      [999_999, 2],
      [1, 1],
      [50_000, 0], // nothing to record
    ]
    for (const [gapUs, count] of gaps) recorder.recordItlGaps(gapUs, count)
    recorder.recordItlGaps(-5, 3) // clamped to 0 and counted, like any value
    // Gaps ride on no outcome: an outcome without itlGapsUs adds none.
    recorder.recordOutcome(outcome({itlGapsUs: []}))
    const s = recorder.finish({startUs: 0, endUs: 10_000_000})
    const total = gaps.reduce((n, [, c]) => n + c, 0) + 3
    expect(s.metrics.itl.count).toBe(total)
    expect(decodeHistogram(s.metrics.itl.histogram).totalCount).toBe(total)
    expect(s.metrics.itl.clampedCount).toBe(3)
    expect(s.metrics.itl.min).toBe(0)
    expectNear(s.metrics.itl.max, 999.999)
    expectNear(s.metrics.itl.p50, 12.345) // 300 of 314 gaps
    expect(s.metrics.ttft.count).toBe(1) // the other metrics are untouched
  })

  test('runs of equal ITL gaps are added up before recording: the histogram is the same as recording each', () => {
    const gaps: Array<[number, number]> = []
    let seed = 7
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 2_000; i++) {
      const gapUs = next() < 0.6 && gaps.length > 0 ? gaps[gaps.length - 1]![0] : 100 + Math.floor(next() * 50_000) + next()
      gaps.push([gapUs, 1 + Math.floor(next() * 40)])
    }
    const coalesced = new MetricsRecorder()
    for (const [gapUs, count] of gaps) coalesced.recordItlGaps(gapUs, count)
    const direct = new MetricsRecorder()
    // One pair per outcome goes straight into the histogram, one value at a time.
    for (const [gapUs, count] of gaps) direct.recordOutcome(outcome({itlGapsUs: [[Math.round(gapUs), count]]}))
    const a = coalesced.finish({startUs: 0, endUs: 1_000_000})
    const b = direct.finish({startUs: 0, endUs: 1_000_000})
    expect(a.metrics.itl.histogram).toBe(b.metrics.itl.histogram)
    expect(a.metrics.itl.count).toBe(gaps.reduce((n, [, c]) => n + c, 0))
  })

  test('failures are counted with their reasons, sorted; requests = completed + failed', () => {
    const recorder = new MetricsRecorder()
    recorder.recordOutcome(outcome())
    recorder.recordFailure({index: 1, arrivalUs: 0, reason: 'timeout'})
    recorder.recordFailure({index: 2, arrivalUs: 0, reason: 'exceeds-kv-capacity'})
    recorder.recordFailure({index: 3, arrivalUs: 0, reason: 'timeout'})
    expect(recorder.recordedRequests).toBe(4)
    const s = recorder.finish({startUs: 0, endUs: 1_000_000})
    expect(s.counters).toMatchObject({requests: 4, completed: 1, failed: 3})
    expect(Object.entries(s.counters.failureReasons)).toEqual([
      ['exceeds-kv-capacity', 1],
      ['timeout', 2],
    ])
  })

  test('throughput is over the measured window; an empty window gives null rates, not 0', () => {
    const recorder = new MetricsRecorder()
    recorder.recordOutcome(outcome())
    recorder.recordOutcome(outcome({index: 1}))
    const s = recorder.finish({startUs: 1_000_000, endUs: 5_000_000})
    expect(s.window).toEqual({startUs: 1_000_000, endUs: 5_000_000, durationS: 4})
    expect(s.counters.outputTokensPerS).toBe(50) // 200 tokens / 4 s
    expect(s.counters.requestsPerS).toBe(0.5)
    expect(s.counters.goodput).toBeNull() // no SLOs

    const empty = new MetricsRecorder().finish({startUs: 0, endUs: 0})
    expect(empty.counters.outputTokensPerS).toBeNull()
    expect(empty.counters.requestsPerS).toBeNull()
    expect(empty.metrics.ttft.p90).toBeNull()
    expect(empty.userSpeed.p10).toBeNull()
  })

  test('goodput counts requests meeting every SLO; failures count against the ratio', () => {
    const recorder = new MetricsRecorder({slos: parseSlos(['ttft.p90<=1s', 'tpot.p90<=25ms', 'throughput.outputTokensPerS>1e9'.replace('1e9', '1000000000')])})
    recorder.recordOutcome(outcome()) // ttft 800 ms, tpot 20 ms: good
    recorder.recordOutcome(outcome({index: 1, firstTokenUs: 2_500_000, completionUs: 2_500_000 + 99 * 20_000})) // ttft 1.5 s: bad
    recorder.recordOutcome(outcome({index: 2, completionUs: 1_800_000 + 99 * 30_000})) // tpot 30 ms: bad
    recorder.recordFailure({index: 3, arrivalUs: 0, reason: 'timeout'})
    const s = recorder.finish({startUs: 0, endUs: 2_000_000})
    expect(s.counters.goodput).toEqual({requests: 1, outputTokens: 100, requestsPerS: 0.5, outputTokensPerS: 50, ratio: 0.25})
  })

  test('finish can only be called once', () => {
    const recorder = new MetricsRecorder()
    recorder.finish({startUs: 0, endUs: 1})
    expect(() => recorder.finish({startUs: 0, endUs: 1})).toThrow(/twice/)
  })

  test('the same outcomes give an identical snapshot', () => {
    const run = (): string => {
      const recorder = new MetricsRecorder({slos: parseSlos(['ttft.p90<=1s'])})
      for (const o of craftOutcomes({requests: 500, seed: 9}).outcomes) recorder.recordOutcome(o)
      return JSON.stringify(recorder.finish({startUs: 0, endUs: 60_000_000}))
    }
    expect(run()).toBe(run())
  })
})

describe('MetricsRecorder time series', () => {
  test('stays bounded however long the run (bucket width doubles)', () => {
    const recorder = new MetricsRecorder({maxTimeseriesPoints: 64})
    let maxQueue = 0
    for (let i = 0; i < 200_000; i++) {
      const queueDepth = (i * 7919) % 1000
      maxQueue = Math.max(maxQueue, queueDepth)
      recorder.sampleState({tUs: i * 50_000, queueDepth, batchSize: 4, kvUsage: (i % 100) / 100})
    }
    const t = recorder.finish({startUs: 0, endUs: 200_000 * 50_000}).timeseries
    expect(t.tS.length).toBeLessThanOrEqual(64)
    expect(t.tS.length).toBeGreaterThan(32)
    expect(t.queueDepth.length).toBe(t.tS.length)
    expect(Math.max(...t.queueDepth)).toBe(maxQueue) // maxima survive downsampling
    expect(Math.max(...t.kvUsage)).toBe(0.99)
    expect(t.batchSize.every((b) => b === 4)).toBe(true)
    expect(t.bucketS).toBeGreaterThan(0.1)
    // Buckets are contiguous and evenly spaced.
    for (let i = 1; i < t.tS.length; i++) expect(t.tS[i]! - t.tS[i - 1]!).toBeCloseTo(t.bucketS!, 6)
  })

  test('batch size is time-weighted, queue depth and KV use are maxima per bucket', () => {
    const recorder = new MetricsRecorder({initialBucketUs: 1_000_000})
    recorder.sampleState({tUs: 0, queueDepth: 5, batchSize: 2, kvUsage: 0.2})
    recorder.sampleState({tUs: 250_000, queueDepth: 1, batchSize: 6, kvUsage: 0.9}) // holds 750 ms
    recorder.sampleStateValues(1_000_000, 0, 1, 0.1)
    const t = recorder.finish({startUs: 0, endUs: 2_000_000}).timeseries
    expect(t.tS).toEqual([0, 1])
    expect(t.batchSize[0]).toBe(5) // (2 x 0.25 + 6 x 0.75) / 1
    expect(t.queueDepth[0]).toBe(5)
    expect(t.kvUsage[0]).toBe(0.9)
    expect(t.batchSize[1]).toBe(1)
    expect(t.queueDepth[1]).toBe(0)
  })

  test('no samples give an empty series', () => {
    const t = new MetricsRecorder().finish({startUs: 0, endUs: 10}).timeseries
    expect(t).toEqual({bucketS: null, tS: [], queueDepth: [], batchSize: [], kvUsage: []})
  })
})
