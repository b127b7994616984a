import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {formatNativeRecord, parseNativeRecord} from '../../src/traces/native-schema.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {writeNativeTrace} from '../../src/traces/write-native.js'
import {fixture, readAll, readError} from './read-helpers.js'

describe('native tracebench JSONL', () => {
  test('reads the header, sessions, think time, hash ids, model and source', async () => {
    const {records, stats} = await readAll(fixture('native.jsonl'))
    expect(stats.format).toBe('native')
    expect(stats.rowsRead).toBe(3)
    expect(records[2]).toEqual({
      arrivalUs: 5_000_000,
      inputTokens: 25000,
      outputTokens: 80,
      sessionId: 's1',
      turn: 1,
      thinkTimeUs: 2_500_000,
      hashIds: [0, 1, 2, 3],
      blockSize: 8192,
      source: 'agentic',
    })
    expect(records[1]?.model).toBe('llama-3.1-70b')
  })

  test('write then read gives the same records, byte-stable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-native-'))
    const records: TraceRecord[] = [
      {arrivalUs: 0, inputTokens: 10, outputTokens: 1},
      {arrivalUs: 7, inputTokens: 1030, outputTokens: 2, sessionId: 'x "quoted"', turn: 0, hashIds: [0, 1, 2], blockSize: 512, model: 'm', source: 'coding'},
      {arrivalUs: 9, inputTokens: 5, outputTokens: 3, sessionId: 'x "quoted"', turn: 1, thinkTimeUs: 2},
    ]
    const path = join(dir, 'out.jsonl')
    expect(await writeNativeTrace(path, records, {description: 'test'})).toBe(3)
    const text = readFileSync(path, 'utf8')
    expect(text.split('\n')[0]).toBe('{"format":"tracebench-trace","version":1,"description":"test"}')
    expect((await readAll(path)).records).toEqual(records)
    await writeNativeTrace(join(dir, 'again.jsonl'), (await readAll(path)).records, {description: 'test'})
    expect(readFileSync(join(dir, 'again.jsonl'), 'utf8')).toBe(text)
    expect(readdirSync(dir).sort()).toEqual(['again.jsonl', 'out.jsonl'])
  })

  test('a failing input leaves no output file behind (atomic write)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-native-'))
    function* failing(): Generator<TraceRecord> {
      yield {arrivalUs: 0, inputTokens: 1, outputTokens: 1}
      throw new Error('boom')
    }
    await expect(writeNativeTrace(join(dir, 'out.jsonl'), failing())).rejects.toThrow('boom')
    expect(readdirSync(dir)).toEqual([])
  })

  test('a bad field names file, line and field', async () => {
    const error = await readError(fixture('bad-native-field.jsonl'))
    expect(error.message).toMatch(/bad-native-field\.jsonl:3: arrivalUs: expected a non-negative integer \(microseconds\), got 1.5$/)
  })

  test('a header of a newer version is refused', async () => {
    const error = await readError(fixture('bad-native-version.jsonl'))
    expect(error.message).toMatch(/bad-native-version\.jsonl:1: version: expected 1 .*, got 2$/)
  })

  test('unknown fields are reported once and ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-native-'))
    const path = join(dir, 'extra.jsonl')
    await writeNativeTrace(path, [{arrivalUs: 0, inputTokens: 1, outputTokens: 1}])
    const {writeFileSync} = await import('node:fs')
    writeFileSync(path, '{"arrivalUs":0,"inputTokens":1,"outputTokens":1,"colour":"red"}\n{"arrivalUs":1,"inputTokens":1,"outputTokens":1,"colour":"blue"}\n')
    const {records, warnings} = await readAll(path)
    expect(records).toHaveLength(2)
    expect(warnings.filter((w) => w.includes('"colour"'))).toHaveLength(1)
  })

  test.each([
    [{arrivalUs: 0, inputTokens: 1}, 'outputTokens'],
    [{arrivalUs: 0, inputTokens: 1, outputTokens: 1, hashIds: [1]}, 'blockSize'],
    [{arrivalUs: 0, inputTokens: 1, outputTokens: 1, source: 'batch'}, 'source'],
    [{arrivalUs: 0, inputTokens: 1, outputTokens: 1, sessionId: 3}, 'sessionId'],
    [{arrivalUs: 0, inputTokens: 1, outputTokens: 1, turn: -1}, 'turn'],
    [{arrivalUs: 0, inputTokens: 1, outputTokens: 1, thinkTimeUs: '5'}, 'thinkTimeUs'],
  ])('parseNativeRecord(%j) blames %s', (value, field) => {
    expect(parseNativeRecord(value as Record<string, unknown>)).toMatchObject({field})
  })

  test('formatNativeRecord writes fields in a fixed order', () => {
    expect(formatNativeRecord({source: 'chat', outputTokens: 2, inputTokens: 1, arrivalUs: 0})).toBe('{"arrivalUs":0,"inputTokens":1,"outputTokens":2,"source":"chat"}')
  })
})
