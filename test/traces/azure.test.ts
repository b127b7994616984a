import {describe, expect, test} from 'vitest'
import {TraceParseError} from '../../src/common/errors.js'
import {fixture, readAll, readError} from './read-helpers.js'

describe('Azure LLM inference CSV', () => {
  test('2023 form: CRLF, no final newline, 7-digit fractions; first request at 0 and sub-ms gaps kept', async () => {
    const {records, stats} = await readAll(fixture('azure-2023.csv'))
    expect(stats.format).toBe('azure')
    expect(stats.rowsRead).toBe(6)
    expect(records.map((r) => r.arrivalUs)).toEqual([0, 275, 1039, 52_000, 2_576_020_039, 2_576_020_040])
    expect(records[0]).toEqual({arrivalUs: 0, inputTokens: 4808, outputTokens: 10})
    // The last row has no newline after it and is still read.
    expect(records.at(-1)).toMatchObject({inputTokens: 1, outputTokens: 7})
  })

  test('2024 form: +00:00, fraction omitted when zero, across midnight', async () => {
    const {records} = await readAll(fixture('azure-2024.csv'))
    expect(records.map((r) => r.arrivalUs)).toEqual([0, 10, 9940, 1_000_010])
    expect(records.map((r) => r.inputTokens)).toEqual([100, 200, 300, 400])
  })

  test('columns are found by name, in any order, extra columns ignored', async () => {
    const {records} = await readAll(fixture('azure-reordered-columns.csv'))
    expect(records).toEqual([
      {arrivalUs: 0, inputTokens: 4808, outputTokens: 10},
      {arrivalUs: 52_000, inputTokens: 3180, outputTokens: 8},
    ])
  })

  test('the traffic class comes from the file name when the format has none', async () => {
    const {records} = await readAll(fixture('azure-2023.csv'), {source: 'coding'})
    expect(records.every((r) => r.source === 'coding')).toBe(true)
  })

  test.each([
    ['bad-missing-column.csv', 'bad-missing-column.csv:3: GeneratedTokens: expected 3 columns (TIMESTAMP,ContextTokens,GeneratedTokens), got 2 (column missing)'],
    ['bad-non-numeric-tokens.csv', 'bad-non-numeric-tokens.csv:3: GeneratedTokens: expected a non-negative integer, got "lots"'],
    ['bad-negative-tokens.csv', 'bad-negative-tokens.csv:3: ContextTokens: expected a non-negative integer, got "-3"'],
    [
      'bad-timestamp.csv',
      'bad-timestamp.csv:3: TIMESTAMP: expected a timestamp like "2023-11-16 18:17:03.9799600" or "2024-05-10 00:00:00.009930+00:00", got "2023-11-16T25:17:04"',
    ],
    ['bad-missing-header-column.csv', 'bad-missing-header-column.csv:1: header: expected columns TIMESTAMP, ContextTokens, GeneratedTokens, got "TIMESTAMP,ContextTokens" (missing GeneratedTokens)'],
  ])('%s stops with file, line, field and what was expected', async (name, message) => {
    const error = await readError(fixture(name))
    expect(error).toBeInstanceOf(TraceParseError)
    expect(error.message).toBe(`${fixture(name).replace(/[^/]*$/, '')}${message}`)
  })

  test('--skip-invalid skips the bad row, counts it and keeps its message', async () => {
    const {records, stats, warnings} = await readAll(fixture('bad-negative-tokens.csv'), {skipInvalid: true})
    expect(records).toHaveLength(1)
    expect(stats.rowsRead).toBe(2)
    expect(stats.rowsSkipped).toBe(1)
    expect(stats.skippedExamples).toEqual([expect.stringContaining('bad-negative-tokens.csv:3: ContextTokens')])
    expect(warnings.join('\n')).toContain('skipped 1 invalid row(s)')
  })

  test('a row asking for 0 output tokens is kept and reported, or rejected under --strict', async () => {
    const {records, stats, warnings} = await readAll(fixture('azure-zero-output.csv'))
    expect(records.map((r) => r.outputTokens)).toEqual([20, 0, 12])
    expect(stats.zeroOutputRows).toBe(1)
    expect(warnings).toContain(`${fixture('azure-zero-output.csv')}: 1 row(s) ask for 0 output tokens; they are replayed as requests that end at their first token (--strict rejects them)`)
    const error = await readError(fixture('azure-zero-output.csv'), {strict: true})
    expect(error.message).toBe(
      `${fixture('azure-zero-output.csv')}:3: GeneratedTokens: expected a positive number of output tokens, got 0 (rows asking for no output are rejected under --strict; without it they are kept and counted)`,
    )
    const skipped = await readAll(fixture('azure-zero-output.csv'), {strict: true, skipInvalid: true})
    expect(skipped.records.map((r) => r.outputTokens)).toEqual([20, 12])
    expect(skipped.stats.rowsSkipped).toBe(1)
  })
})
