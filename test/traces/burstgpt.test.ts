import {describe, expect, test} from 'vitest'
import {fixture, readAll, readError} from './read-helpers.js'

describe('BurstGPT CSV', () => {
  test('6 columns: failed rows (0 response tokens) are excluded by default and reported', async () => {
    const {records, stats, warnings} = await readAll(fixture('burstgpt-6col.csv'))
    expect(stats.format).toBe('burstgpt')
    expect(stats.rowsRead).toBe(7)
    expect(stats.failedRowsExcluded).toBe(2)
    expect(records).toHaveLength(5)
    expect(records.every((r) => r.outputTokens > 0)).toBe(true)
    expect(warnings).toContainEqual(expect.stringContaining('excluded 2 failed request(s)'))
    expect(records[0]).toEqual({arrivalUs: 0, inputTokens: 472, outputTokens: 18, model: 'ChatGPT', source: 'chat'})
    // Seconds from the first row: 45 - 5 = 40 s.
    expect(records[1]?.arrivalUs).toBe(40_000_000)
    // API-log rows are not tagged chat; ties keep file order.
    expect(records.slice(3).map((r) => [r.arrivalUs, r.inputTokens, r.source])).toEqual([
      [1_295_000_000, 50, undefined],
      [1_295_000_000, 70, 'chat'],
    ])
  })

  test('includeFailed keeps failed rows with 0 output tokens', async () => {
    const {records, stats} = await readAll(fixture('burstgpt-6col.csv'), {includeFailed: true})
    expect(records).toHaveLength(7)
    expect(stats.failedRowsIncluded).toBe(2)
    expect(stats.failedRowsExcluded).toBe(0)
    expect(records.filter((r) => r.outputTokens === 0).map((r) => r.inputTokens)).toEqual([0, 300])
  })

  test('8 columns read by name: float seconds on a far origin, sessions with turns, empty Session ID on API rows', async () => {
    const {records, stats} = await readAll(fixture('burstgpt-8col.csv'))
    expect(stats.failedRowsExcluded).toBe(1)
    expect(records.map((r) => r.arrivalUs)).toEqual([0, 51_000_000, 82_500_000, 90_000_000, 140_000_000])
    expect(records.map((r) => [r.sessionId?.slice(0, 8), r.turn])).toEqual([
      ['1722ac82', 0],
      ['d5983bf9', 0],
      ['1722ac82', 1],
      [undefined, undefined],
      ['1722ac82', 2],
    ])
    expect(records.map((r) => r.inputTokens)).toEqual([906, 36, 1779, 100, 763])
    expect(records.map((r) => r.model)).toEqual(['GPT-4', 'ChatGPT', 'GPT-4', 'ChatGPT', 'ChatGPT'])
  })

  test('a file of only failed rows says so and points at --include-failed', async () => {
    const error = await readError(fixture('bad-burstgpt-all-failed.csv'))
    expect(error.message).toMatch(/bad-burstgpt-all-failed\.csv: no requests: all 2 readable row\(s\) are failed requests .*--include-failed/)
  })

  test('a short row names the missing column', async () => {
    const error = await readError(fixture('bad-burstgpt-missing-column.csv'))
    expect(error.message).toMatch(/bad-burstgpt-missing-column\.csv:3: Total tokens: expected 6 columns \(.*\), got 4 \(column missing\)$/)
  })
})
