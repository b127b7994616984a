import {copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {describe, expect, test} from 'vitest'
import {TraceParseError, TracebenchError} from '../../src/common/errors.js'
import {detectTraceFileFormat, guessSourceFromFileName, readTrace} from '../../src/traces/read-trace.js'
import {fixture, readAll, readError} from './read-helpers.js'

const scratch = mkdtempSync(join(tmpdir(), 'tracebench-read-'))

describe('format detection', () => {
  test.each([
    ['azure-2023.csv', 'azure'],
    ['azure-2024.csv', 'azure'],
    ['burstgpt-6col.csv', 'burstgpt'],
    ['burstgpt-8col.csv', 'burstgpt'],
    ['mooncake.jsonl', 'mooncake'],
    ['mooncake-sessions.jsonl', 'mooncake'],
    ['native.jsonl', 'native'],
  ])('%s is %s, from its content', async (name, format) => {
    // Misleading extension on purpose: detection reads the content.
    const copy = join(scratch, `${name}.txt`)
    copyFileSync(fixture(name), copy)
    expect(await detectTraceFileFormat(copy)).toBe(format)
  })

  test('a native file without header is detected by its field names', async () => {
    const path = join(scratch, 'no-header.jsonl')
    writeFileSync(path, '{"arrivalUs":0,"inputTokens":3,"outputTokens":4}\n')
    expect((await readAll(path)).stats.format).toBe('native')
  })

  test('a byte order mark is ignored', async () => {
    const path = join(scratch, 'bom.csv')
    writeFileSync(path, `\uFEFF${readFileSync(fixture('azure-2024.csv'), 'utf8')}`)
    expect((await readAll(path)).records).toHaveLength(4)
  })

  test('an unknown header asks for --format', async () => {
    const error = await readError(fixture('bad-unknown-header.csv'))
    expect(error.message).toMatch(/bad-unknown-header\.csv:1: expected a trace header .* got "time,prompt,completion"; use --format/)
  })

  test('format can be forced', async () => {
    const error = await readError(fixture('mooncake.jsonl'), {format: 'native'})
    expect(error.message).toMatch(/mooncake\.jsonl:1: arrivalUs: expected a non-negative integer/)
  })

  test('source guessed from file names', () => {
    expect(guessSourceFromFileName('AzureLLMInferenceTrace_code.csv')).toBe('coding')
    expect(guessSourceFromFileName('AzureLLMInferenceTrace_conv.csv')).toBe('chat')
    expect(guessSourceFromFileName('toolagent_trace.jsonl')).toBe('agentic')
    expect(guessSourceFromFileName('synthetic_trace.jsonl')).toBeUndefined()
  })
})

describe('gzip', () => {
  test('is decompressed transparently, recognised by content', async () => {
    const plain = await readAll(fixture('mooncake.jsonl'))
    const path = join(scratch, 'mooncake-no-gz-suffix.jsonl')
    writeFileSync(path, gzipSync(readFileSync(fixture('mooncake.jsonl'))))
    const zipped = await readAll(path)
    expect(zipped.stats.compressed).toBe(true)
    expect(zipped.records).toEqual(plain.records)
  })

  test('a truncated gzip file fails with a clear message naming the file', async () => {
    const error = await readError(fixture('bad-truncated.jsonl.gz'))
    expect(error).toBeInstanceOf(TraceParseError)
    expect(error.message).toMatch(/bad-truncated\.jsonl\.gz: gzip data is truncated .*the file is incomplete$/)
  })

  test('corrupt gzip data fails with a clear message naming the file', async () => {
    const error = await readError(fixture('bad-corrupt.csv.gz'))
    expect(error).toBeInstanceOf(TraceParseError)
    expect(error.message).toMatch(/bad-corrupt\.csv\.gz: gzip data is corrupt/)
  })
})

describe('empty and unreadable files', () => {
  test.each([
    ['bad-empty.csv', /bad-empty\.csv: empty file; expected a trace/],
    ['bad-blank-lines.jsonl', /bad-blank-lines\.jsonl: empty file/],
    ['bad-header-only.csv', /bad-header-only\.csv: no requests: the file has a header but no data rows/],
  ])('%s', async (name, message) => {
    const error = await readError(fixture(name))
    expect(error).toBeInstanceOf(TraceParseError)
    expect(error.message).toMatch(message)
  })

  test('a native header with no records', async () => {
    const path = join(scratch, 'header-only.jsonl')
    writeFileSync(path, '{"format":"tracebench-trace","version":1}\n')
    expect((await readError(path)).message).toMatch(/header-only\.jsonl: no requests: the file has a header but no data rows/)
  })

  test('all rows invalid under skipInvalid', async () => {
    const path = join(scratch, 'all-bad.csv')
    writeFileSync(path, 'TIMESTAMP,ContextTokens,GeneratedTokens\nx,1,1\ny,2,2\n')
    expect((await readError(path, {skipInvalid: true})).message).toMatch(/all-bad\.csv: no requests: all 2 row\(s\) were invalid and skipped; first: .*all-bad\.csv:2: TIMESTAMP/)
  })

  test('a missing file', async () => {
    const error = await readError(join(scratch, 'nope.csv'))
    expect(error).toBeInstanceOf(TracebenchError)
    expect(error.message).toMatch(/nope\.csv: no such file$/)
  })

  test('malformed CSV quoting names the line', async () => {
    const error = await readError(fixture('bad-malformed-quote.csv'))
    expect(error.message).toMatch(/bad-malformed-quote\.csv:3: CSV: expected well-formed CSV, got Invalid Closing Quote/)
    const skipped = await readAll(fixture('bad-malformed-quote.csv'), {skipInvalid: true})
    expect(skipped.records).toHaveLength(1)
    // csv-parse may report a second error for the same broken quote (the quote is left open).
    expect(skipped.stats.rowsSkipped).toBeGreaterThanOrEqual(1)
    expect(skipped.stats.skippedExamples[0]).toMatch(/bad-malformed-quote\.csv:3: CSV/)
  })
})

describe('arrival order', () => {
  test('out-of-order rows are sorted, counted and warned about', async () => {
    const {records, stats, warnings} = await readAll(fixture('out-of-order.csv'))
    expect(records.map((r) => r.inputTokens)).toEqual([3, 1, 2, 4])
    // The earliest row (line 4) becomes time 0.
    expect(records.map((r) => r.arrivalUs)).toEqual([0, 500_000, 1_500_000, 2_500_000])
    expect(stats.reorderedRows).toBe(1)
    expect(warnings).toContainEqual(expect.stringContaining('1 row(s) were out of time order and have been sorted'))
  })

  test('--strict rejects them, quoting both times', async () => {
    const error = await readError(fixture('out-of-order.csv'), {strict: true})
    expect(error.message).toMatch(
      /out-of-order\.csv:4: TIMESTAMP: expected a time at or after line 3's "2023-11-16 18:17:06.0000000", got "2023-11-16 18:17:04.5000000" \(rows out of time order are rejected under --strict/,
    )
  })

  test('a row later than the reorder window is an error (or skipped)', async () => {
    // Two chunks of rows: the late row arrives after the first chunk was released.
    const path = join(scratch, 'very-late.jsonl')
    const lines: string[] = []
    for (let i = 0; i < 30_000; i++) lines.push(`{"timestamp": ${1000 + i}, "input_length": 1, "output_length": 1}`)
    lines.push('{"timestamp": 5, "input_length": 2, "output_length": 2}')
    writeFileSync(path, `${lines.join('\n')}\n`)
    const error = await readError(path, {reorderWindowRows: 100})
    expect(error.message).toMatch(/very-late\.jsonl:30001: timestamp: expected a time no earlier than the rows already read out \(the reorder window holds 100 rows; .*\), got 5; sort the file by time or raise --reorder-window/)
    const skipped = await readAll(path, {reorderWindowRows: 100, skipInvalid: true})
    expect(skipped.records).toHaveLength(30_000)
    // With a large enough window the same row is sorted into place.
    const sorted = await readAll(path, {reorderWindowRows: 100_000})
    expect(sorted.records[0]?.inputTokens).toBe(2)
    expect(sorted.stats.reorderedRows).toBe(1)
  })
})

describe('the reader object', () => {
  test('stats are complete after iteration, and a second iteration reads again', async () => {
    const reader = readTrace(fixture('mooncake.jsonl'))
    let first = 0
    for await (const _ of reader) first++
    expect(reader.stats).toMatchObject({format: 'mooncake', rowsRead: 4, records: 4, complete: true})
    let second = 0
    for await (const _ of reader) second++
    expect([first, second]).toEqual([4, 4])
  })

  test('batches() gives the same records in arrays', async () => {
    const reader = readTrace(fixture('azure-2023.csv'))
    const batched = []
    for await (const batch of reader.batches()) batched.push(...batch)
    expect(batched).toEqual((await readAll(fixture('azure-2023.csv'))).records)
  })

  test('breaking out early stops reading (stats stay incomplete)', async () => {
    const path = join(scratch, 'long.jsonl')
    writeFileSync(path, Array.from({length: 50_000}, (_, i) => `{"timestamp": ${i}, "input_length": 1, "output_length": 1}`).join('\n'))
    const reader = readTrace(path)
    let seen = 0
    for await (const _ of reader) if (++seen === 3) break
    expect(seen).toBe(3)
    expect(reader.stats.complete).toBe(false)
  })

  test.skipIf(!existsSync('/proc/self/fd'))('breaking out early closes the file, gzip or not', async () => {
    const path = join(scratch, 'long-for-fds.jsonl')
    const text = Array.from({length: 200_000}, (_, i) => `{"timestamp": ${i}, "input_length": 1, "output_length": 1}`).join('\n')
    writeFileSync(path, text)
    writeFileSync(`${path}.gz`, gzipSync(text))
    const openFds = (): number => readdirSync('/proc/self/fd').length
    const before = openFds()
    for (const file of [path, `${path}.gz`]) {
      let seen = 0
      for await (const _ of readTrace(file)) if (++seen === 3) break
    }
    // Closing is asynchronous; give the streams a moment.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(openFds()).toBeLessThanOrEqual(before)
  })

  test('a bad reorder window is a usage error', () => {
    expect(() => readTrace('x', {reorderWindowRows: -1})).toThrow(/reorder window/)
  })
})
