import {describe, expect, test} from 'vitest'
import {findCrossovers} from '../../src/claims/find-crossovers.js'
import {countTokensPerQuery} from '../../src/claims/measure-trace-tokens.js'
import {rescaleHashIds, transformRecord} from '../../src/claims/transform-trace.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'

describe('findCrossovers', () => {
  const point = (factor: number, inputOutputRatio: number, ratio: number | null) => ({factor, inputOutputRatio, ratio})

  test('interpolates linearly in the ratio against log(input/output), both directions', () => {
    const down = findCrossovers([point(1, 1, 3), point(2, 100, 1)], 2)
    expect(down).toEqual([{inputOutputRatio: 10, level: 2, direction: 'falls-below', betweenFactors: [1, 2]}])
    const up = findCrossovers([point(2, 100, 3), point(1, 1, 1)], 2)
    expect(up[0]).toMatchObject({inputOutputRatio: 10, direction: 'rises-above'})
  })

  test('finds every crossing, counts a point on the level once, skips points without a ratio, and crosses to 0', () => {
    const points = [point(1, 1, 0.5), point(2, 10, 1), point(3, 100, 2), point(4, 1000, null), point(5, 10000, 0)]
    const out = findCrossovers(points, 1)
    expect(out.map((c) => [c.inputOutputRatio, c.direction])).toEqual([
      [10, 'rises-above'],
      [1000, 'falls-below'],
    ])
    expect(findCrossovers([point(1, 1, 2), point(2, 10, 3)], 1)).toEqual([])
  })
})

describe('transformRecord', () => {
  const record: TraceRecord = {arrivalUs: 5, inputTokens: 2048, outputTokens: 100, sessionId: 's', turn: 1, thinkTimeUs: 7, hashIds: [10, 11, 12, 13], blockSize: 512}

  test('scales one side of the mix and keeps everything else', () => {
    expect(transformRecord(record, 'output', 0.3)).toEqual({...record, outputTokens: 30})
    const bigger = transformRecord(record, 'input', 3)
    expect(bigger).toMatchObject({arrivalUs: 5, inputTokens: 6144, outputTokens: 100, sessionId: 's', turn: 1, thinkTimeUs: 7, blockSize: 512})
    expect(bigger.hashIds).toHaveLength(12)
    expect(transformRecord(record, 'input', 0.0001).inputTokens).toBe(1)
    expect(transformRecord(record, 'output', 0.0001).outputTokens).toBe(1)
  })

  test('rescaled hash ids keep shared prefixes shared and different blocks different', () => {
    const a = [1, 2, 3, 4]
    const b = [1, 2, 9, 8]
    for (const factor of [0.5, 2, 2.5, 3]) {
      const ra = rescaleHashIds(a, factor, Math.round(4 * factor * 512), 512)
      const rb = rescaleHashIds(b, factor, Math.round(4 * factor * 512), 512)
      const shared = ra.findIndex((id, i) => id !== rb[i])
      // Two old blocks shared become 2 x factor new blocks shared (rounded down).
      expect(shared).toBe(Math.floor(2 * factor))
      expect(new Set(ra).size).toBe(ra.length)
    }
  })
})

describe('countTokensPerQuery', () => {
  test('per request and per session (a request without a session is its own query)', () => {
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 100, outputTokens: 10, sessionId: 'a'},
      {arrivalUs: 1, inputTokens: 200, outputTokens: 20, sessionId: 'a'},
      {arrivalUs: 2, inputTokens: 300, outputTokens: 30},
    ]
    const t = countTokensPerQuery(records)
    expect(t.perRequest).toEqual({input: 200, output: 20, total: 220})
    expect(t.perSession).toEqual({input: 300, output: 30, total: 330, queries: 2})
    expect(t).toMatchObject({requests: 3, sessions: 1})
  })
})
