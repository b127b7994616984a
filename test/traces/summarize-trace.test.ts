import {describe, expect, test} from 'vitest'
import {NumberColumn, percentileOfSorted} from '../../src/traces/exact-percentile.js'
import {readTrace} from '../../src/traces/read-trace.js'
import {summarizeTrace} from '../../src/traces/summarize-trace.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {fixture} from './read-helpers.js'

describe('percentileOfSorted (numpy linear interpolation)', () => {
  // Values from numpy.percentile with its default method.
  test.each([
    [[1, 2, 3, 4], 50, 2.5],
    [[1, 2, 3, 4], 90, 3.7],
    [[1, 2, 3, 4], 99, 3.97],
    [[15, 20, 35, 40, 50], 90, 46],
    [[15, 20, 35, 40, 50], 0, 15],
    [[15, 20, 35, 40, 50], 100, 50],
    [[7], 99, 7],
  ])('%j p%d = %d', (values, p, expected) => {
    expect(percentileOfSorted(values, p)).toBeCloseTo(expected, 10)
  })

  test('no values: NaN', () => {
    expect(percentileOfSorted([], 50)).toBeNaN()
  })

  test('NumberColumn grows past its initial size and sorts numerically', () => {
    const column = new NumberColumn()
    for (let i = 5000; i > 0; i--) column.push(i * 10)
    const sorted = column.sorted()
    expect(sorted).toHaveLength(5000)
    expect([sorted[0], sorted[1], sorted[4999]]).toEqual([10, 20, 50_000])
  })
})

describe('summarizeTrace', () => {
  test('counts, duration, rate, distributions and ratios', async () => {
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 100, outputTokens: 10, sessionId: 'a', turn: 0, source: 'agentic'},
      {arrivalUs: 1_000_000, inputTokens: 200, outputTokens: 20, sessionId: 'a', turn: 1, source: 'agentic'},
      {arrivalUs: 2_000_000, inputTokens: 300, outputTokens: 30, sessionId: 'b', turn: 0, source: 'agentic'},
      {arrivalUs: 4_000_000, inputTokens: 400, outputTokens: 40},
    ]
    const summary = await summarizeTrace(records)
    expect(summary).toMatchObject({requests: 4, sessions: 2, durationS: 4, ratePerS: 1, outputToInputRatio: 0.1, prefixReuse: null, prefixBlocks: null})
    expect(summary.inputTokens).toEqual({mean: 250, p50: 250, p90: 370, p99: 397, min: 100, max: 400})
    expect(summary.tokensPerRequest?.mean).toBe(275)
    expect(summary.turnsPerSession).toMatchObject({mean: 1.5, min: 1, max: 2})
    expect(summary.requestsBySource).toEqual({agentic: 3, unknown: 1})
  })

  test('prefix reuse: the share of block references that repeat an earlier one', async () => {
    const summary = await summarizeTrace(readTrace(fixture('mooncake.jsonl')))
    // [0,1,2] [0,1,3] [0] [0,1,3,4]: 11 references, 2 + 1 + 3 = 6 repeats.
    expect(summary.prefixBlocks).toEqual({references: 11, repeated: 6, distinct: 5, blockSize: 512})
    expect(summary.prefixReuse).toBeCloseTo(6 / 11, 12)
  })

  test('ids above the bitset range are counted too', async () => {
    const big = 2 ** 40
    const summary = await summarizeTrace([
      {arrivalUs: 0, inputTokens: 1, outputTokens: 1, hashIds: [big, 5], blockSize: 16},
      {arrivalUs: 1, inputTokens: 1, outputTokens: 1, hashIds: [big, 6], blockSize: 16},
    ])
    expect(summary.prefixBlocks).toEqual({references: 4, repeated: 1, distinct: 3, blockSize: 16})
  })

  test('one request: zero duration and no rate; no records: no data rather than zeros', async () => {
    const one = await summarizeTrace([{arrivalUs: 5, inputTokens: 1, outputTokens: 1}])
    expect(one).toMatchObject({requests: 1, durationS: 0, ratePerS: null})
    const none = await summarizeTrace([])
    expect(none).toMatchObject({requests: 0, inputTokens: null, outputTokens: null, outputToInputRatio: null, ratePerS: null})
  })
})
