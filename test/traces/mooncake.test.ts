import {describe, expect, test} from 'vitest'
import {TraceParseError} from '../../src/common/errors.js'
import {fixture, readAll, readError} from './read-helpers.js'

describe('Mooncake JSONL', () => {
  test('ms timestamps to us, repeated timestamps kept in order, 512-token hash blocks', async () => {
    const {records, stats} = await readAll(fixture('mooncake.jsonl'))
    expect(stats.format).toBe('mooncake')
    expect(records.map((r) => r.arrivalUs)).toEqual([0, 0, 3_001_000, 6_003_000])
    expect(records[1]).toEqual({arrivalUs: 0, inputTokens: 1500, outputTokens: 1, hashIds: [0, 1, 3], blockSize: 512})
  })

  test('session variant: session_id, and delay instead of a timestamp on later turns', async () => {
    const {records} = await readAll(fixture('mooncake-sessions.jsonl'))
    expect(records.map((r) => [r.sessionId, r.turn, r.arrivalUs, r.thinkTimeUs])).toEqual([
      ['a', 0, 0, undefined],
      ['b', 0, 500_000, undefined],
      ['a', 1, 2_000_000, 2_000_000],
      ['b', 1, 4_000_000, 1_500_000],
    ])
  })

  test('unparseable JSON names file and line', async () => {
    const error = await readError(fixture('bad-unparseable-json.jsonl'))
    expect(error).toBeInstanceOf(TraceParseError)
    expect(error.message).toMatch(/bad-unparseable-json\.jsonl:2: JSON: expected a JSON object, got "\{\\"timestamp\\": 3001, .*" \(.+\)$/)
  })

  test('unparseable JSON is skipped under skipInvalid', async () => {
    const {records, stats} = await readAll(fixture('bad-unparseable-json.jsonl'), {skipInvalid: true})
    expect(records.map((r) => r.arrivalUs)).toEqual([0, 6_003_000])
    expect(stats.rowsSkipped).toBe(1)
  })

  test('negative tokens', async () => {
    const error = await readError(fixture('bad-mooncake-negative-tokens.jsonl'))
    expect(error.message).toMatch(/bad-mooncake-negative-tokens\.jsonl:2: input_length: expected a non-negative integer, got -512$/)
  })

  test('hash ids that are not integers', async () => {
    const error = await readError(fixture('bad-mooncake-hash-ids.jsonl'))
    expect(error.message).toMatch(/bad-mooncake-hash-ids\.jsonl:1: hash_ids: expected an array of non-negative integers, got \[0,"1",2\]$/)
  })
})
