/** `tracebench trace inspect|synth|convert` through the real CLI (needs a build: `npx tsc -p .`). */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {fixture} from './read-helpers.js'

const root = join(import.meta.dirname, '..', '..')
const built = existsSync(join(root, 'dist', 'commands', 'trace', 'inspect.js'))
if (!built) console.warn('skipping trace CLI tests: dist/ is not built (run `npx tsc -p .`)')
const sharedTraces = join(root, '..', 'shared', 'traces')
const out = mkdtempSync(join(tmpdir(), 'tracebench-trace-cli-'))

function run(...args: string[]): {code: number | null; stdout: string; stderr: string} {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'trace', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', TRACEBENCH_DEBUG: undefined},
  })
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s+at /m)
  expect(text).not.toContain('Internal error')
}

describe.skipIf(!built)('tracebench trace inspect', () => {
  test('--json prints the summary with the documented field names', () => {
    const r = run('inspect', 'traces/chat.jsonl', '--json')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json).toMatchObject({file: 'traces/chat.jsonl', format: 'native', requests: 1000, sessions: 0, prefixReuse: null})
    expect(Object.keys(json.inputTokens).sort()).toEqual(['max', 'mean', 'min', 'p50', 'p90', 'p99'])
    expect(Object.keys(json.outputTokens).sort()).toEqual(['max', 'mean', 'min', 'p50', 'p90', 'p99'])
    for (const field of ['durationS', 'ratePerS', 'outputToInputRatio', 'tokensPerRequest']) expect(json).toHaveProperty(field)
  })

  test('the agentic bundled trace has sessions and prefix reuse', () => {
    const json = JSON.parse(run('inspect', 'traces/agentic.jsonl', '--json').stdout)
    expect(json.sessions).toBeGreaterThanOrEqual(3)
    expect(json.prefixReuse).toBeGreaterThan(0.85)
    expect(json.prefixBlocks.blockSize).toBe(512)
    expect(json.turnsPerSession.max).toBeGreaterThan(10)
  })

  test('prints a readable table', () => {
    const r = run('inspect', 'traces/coding.jsonl')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('traces/coding.jsonl (native)')
    expect(r.stdout).toMatch(/requests +1,000/)
    expect(r.stdout).toMatch(/input tokens +[\d.]+ +[\d.]+/)
    expect(r.stdout).toContain('prefix reuse    n/a (no prefix hash ids)')
  })

  test.skipIf(!existsSync(sharedTraces))('a shared Mooncake trace: 36.6% prefix reuse', () => {
    const r = run('inspect', join(sharedTraces, 'mooncake', 'conversation_trace.jsonl'))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('36.6% (105,710 of 288,500 block references, 512-token blocks)')
  })

  test.each([
    ['bad-missing-column.csv', ':3: GeneratedTokens: expected 3 columns'],
    ['bad-non-numeric-tokens.csv', ':3: GeneratedTokens: expected a non-negative integer, got "lots"'],
    ['bad-negative-tokens.csv', ':3: ContextTokens: expected a non-negative integer, got "-3"'],
    ['bad-timestamp.csv', ':3: TIMESTAMP: expected a timestamp like'],
    ['bad-unparseable-json.jsonl', ':2: JSON: expected a JSON object, got'],
    ['bad-truncated.jsonl.gz', ': gzip data is truncated'],
    ['bad-corrupt.csv.gz', ': gzip data is corrupt'],
    ['bad-empty.csv', ': empty file'],
    ['bad-header-only.csv', ': no requests: the file has a header but no data rows'],
    ['bad-unknown-header.csv', ':1: expected a trace header'],
    ['bad-malformed-quote.csv', ':3: CSV: expected well-formed CSV'],
    ['bad-mooncake-negative-tokens.jsonl', ':2: input_length: expected a non-negative integer, got -512'],
    ['bad-native-field.jsonl', ':3: arrivalUs: expected a non-negative integer'],
    ['bad-native-version.jsonl', ':1: version: expected 1'],
    ['bad-burstgpt-all-failed.csv', ': no requests: all 2 readable row(s) are failed requests'],
  ])('%s: one clear line on stderr, exit 2, no stack trace', (name, message) => {
    const path = fixture(name)
    const r = run('inspect', path)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`Error: ${path}${message}`)
    expectNoStackTrace(r.stderr)
  })

  test('a missing file', () => {
    const r = run('inspect', join(out, 'nope.csv'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('nope.csv: no such file')
    expectNoStackTrace(r.stderr)
  })

  test('--json reports the error as JSON with the exit code', () => {
    const r = run('inspect', fixture('bad-negative-tokens.csv'), '--json')
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout)).toEqual({
      error: {code: 'TRACE_PARSE', exitCode: 2, message: `${fixture('bad-negative-tokens.csv')}:3: ContextTokens: expected a non-negative integer, got "-3"`},
    })
  })

  test('--skip-invalid skips, and reports how many and the first few', () => {
    const r = run('inspect', fixture('bad-negative-tokens.csv'), '--skip-invalid', '--json')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json).toMatchObject({requests: 1, rowsRead: 2, skippedRows: 1})
    expect(json.skippedExamples).toEqual([expect.stringContaining('bad-negative-tokens.csv:3: ContextTokens')])
    // Under --json warnings are in the document; without it they go to stderr.
    expect(json.warnings).toEqual([expect.stringContaining('skipped 1 invalid row(s)')])
    expect(run('inspect', fixture('bad-negative-tokens.csv'), '--skip-invalid').stderr).toContain(`Warning: ${fixture('bad-negative-tokens.csv')}: skipped 1 invalid row(s)`)
  })

  test('out-of-order rows: sorted with a warning, or rejected with --strict', () => {
    const sorted = run('inspect', fixture('out-of-order.csv'))
    expect(sorted.code).toBe(0)
    expect(sorted.stderr).toContain('1 row(s) were out of time order and have been sorted')
    const strict = run('inspect', fixture('out-of-order.csv'), '--strict')
    expect(strict.code).toBe(2)
    expect(strict.stderr).toContain(`${fixture('out-of-order.csv')}:4: TIMESTAMP: expected a time at or after line 3's`)
    expectNoStackTrace(strict.stderr)
  })

  test('--format forces a format; an unknown one is refused with the valid names', () => {
    expect(run('inspect', fixture('mooncake.jsonl'), '--format', 'native').stderr).toContain(':1: arrivalUs: expected')
    const r = run('inspect', fixture('mooncake.jsonl'), '--format', 'parquet')
    expect(r.code).toBe(2)
    expect(r.stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ')).toMatch(/azure, burstgpt, mooncake, native/)
  })

  test('BurstGPT failed rows: excluded and reported, kept with --include-failed', () => {
    const excluded = run('inspect', fixture('burstgpt-6col.csv'), '--json')
    expect(JSON.parse(excluded.stdout)).toMatchObject({requests: 5, failedRowsExcluded: 2})
    expect(run('inspect', fixture('burstgpt-6col.csv')).stderr).toContain('excluded 2 failed request(s)')
    const included = run('inspect', fixture('burstgpt-6col.csv'), '--include-failed', '--json')
    expect(JSON.parse(included.stdout)).toMatchObject({requests: 7, failedRowsIncluded: 2})
  })
})

describe.skipIf(!built)('tracebench trace synth', () => {
  const commands = readFileSync(join(root, 'traces', 'README.md'), 'utf8')
    .split('\n')
    .filter((line) => line.trim().startsWith('npx tracebench trace synth '))
    .map((line) => line.trim().replace(/^npx tracebench trace /, '').split(/\s+/))

  test('traces/README.md gives a command for every bundled trace', () => {
    const outputs = commands.map((args) => args[args.indexOf('--out') + 1])
    expect(outputs.sort()).toEqual(['traces/agentic.jsonl', 'traces/chat.jsonl', 'traces/coding.jsonl'])
  })

  test.each(commands.map((args) => [args[args.indexOf('--out') + 1], args] as const))('%s is exactly what its command generates', (bundled, args) => {
    const target = join(out, (bundled as string).replace('traces/', ''))
    const r = run(...args.map((arg) => (arg === bundled ? target : arg)))
    expect(r.code).toBe(0)
    expect(readFileSync(target, 'utf8')).toBe(readFileSync(join(root, bundled as string), 'utf8'))
  })

  test('--json describes the generated file; the header records the generator', () => {
    const target = join(out, 'synth.jsonl')
    const r = run('synth', '--kind', 'agentic', '--seed', '9', '--requests', '120', '--turns', '30', '--rate', '2', '--out', target, '--json')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json).toMatchObject({out: target, kind: 'agentic', seed: 9, requests: 120, ratePerS: 2})
    expect(json.sessions).toBeGreaterThan(1)
    const header = JSON.parse(readFileSync(target, 'utf8').split('\n')[0] as string)
    expect(header).toMatchObject({format: 'tracebench-trace', version: 1, generator: {kind: 'agentic', seed: 9, requests: 120, ratePerS: 2, turnsPerSession: 30}})
  })

  test.each([
    [['--kind', 'batch', '--requests', '5'], /Expected --kind=batch to be one of: chat, coding, agentic/],
    [['--kind', 'chat', '--requests', '0'], /Expected an integer greater than or equal to 1/],
    [['--kind', 'chat', '--requests', '5', '--rate', '-1'], /--rate: expected a positive number, got "-1"/],
    [['--kind', 'chat', '--requests', '5', '--turns', '5'], /--turns applies to --kind agentic only/],
  ])('bad flags %j are refused with exit 2', (args, message) => {
    const r = run('synth', ...args, '--out', join(out, 'never.jsonl'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expectNoStackTrace(r.stderr)
    expect(existsSync(join(out, 'never.jsonl'))).toBe(false)
  })
})

describe.skipIf(!built)('tracebench trace convert', () => {
  test('BurstGPT to native keeps every field, and inspect agrees on both', () => {
    const target = join(out, 'burstgpt.jsonl')
    const r = run('convert', fixture('burstgpt-8col.csv'), '--out', target, '--include-failed', '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({format: 'burstgpt', requests: 6, output: target})
    const lines = readFileSync(target, 'utf8').trim().split('\n')
    expect(JSON.parse(lines[0] as string)).toMatchObject({format: 'tracebench-trace', convertedFrom: {file: 'burstgpt-8col.csv', format: 'burstgpt'}})
    expect(JSON.parse(lines[3] as string)).toEqual({
      arrivalUs: 82_500_000,
      inputTokens: 1779,
      outputTokens: 123,
      sessionId: '1722ac82-0a46-4bf0-aa08-89794e7a2b3f',
      turn: 1,
      model: 'GPT-4',
      source: 'chat',
    })
    const original = JSON.parse(run('inspect', fixture('burstgpt-8col.csv'), '--include-failed', '--json').stdout)
    const converted = JSON.parse(run('inspect', target, '--json').stdout)
    for (const field of ['requests', 'sessions', 'durationS', 'inputTokens', 'outputTokens', 'turnsPerSession']) expect(converted[field]).toEqual(original[field])
  })

  test.skipIf(!existsSync(sharedTraces))('Mooncake to native keeps the prefix reuse', () => {
    const target = join(out, 'mooncake.jsonl.out')
    expect(run('convert', join(sharedTraces, 'mooncake', 'synthetic_trace.jsonl'), '--out', target).code).toBe(0)
    const json = JSON.parse(run('inspect', target, '--json').stdout)
    expect(json).toMatchObject({format: 'native', requests: 3993, prefixBlocks: {references: 121_877, repeated: 77_953}})
  })

  test('bad input stops the conversion and leaves no output file', () => {
    const target = join(out, 'bad.jsonl')
    const r = run('convert', fixture('bad-timestamp.csv'), '--out', target)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${fixture('bad-timestamp.csv')}:3: TIMESTAMP: expected`)
    expectNoStackTrace(r.stderr)
    expect(existsSync(target)).toBe(false)
  })
})
