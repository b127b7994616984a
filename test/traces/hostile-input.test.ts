/** Bounded on hostile input: each class is refused quickly, with the file and the line or field named. */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {describe, expect, test} from 'vitest'
import {loadBackendConfig} from '../../src/backends/load-backend.js'
import {ConfigError} from '../../src/common/errors.js'
import {escapeControlChars} from '../../src/common/terminal-text.js'
import {maxLineChars, splitJsonLines} from '../../src/traces/jsonl-lines.js'
import {fixture, readAll, readError} from './read-helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'tracebench-hostile-'))
const root = join(import.meta.dirname, '..', '..')
const built = existsSync(join(root, 'dist', 'commands', 'trace', 'inspect.js'))

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

describe('bounded on hostile input', () => {
  test('a line past the limit stops the read at that line, without reading the rest into memory', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x61)
    let served = 0
    async function* endless(): AsyncGenerator<Buffer> {
      // A 2 GB line, in 1 MiB chunks: only what is read before the limit is ever made.
      for (; served < 2048; served++) yield chunk
    }
    const lines = splitJsonLines(endless(), () => {}, 'huge.jsonl')
    await expect((async () => {
      for await (const _ of lines);
    })()).rejects.toThrow(/^huge\.jsonl:1: line longer than 16 MiB/)
    expect(served).toBeLessThanOrEqual(maxLineChars / (1 << 20) + 1)
  })

  test('a line just under the limit is read in one piece, whatever the chunking', async () => {
    const line = `{"arrivalUs":0,"inputTokens":1,"outputTokens":1,"model":"${'m'.repeat(3_000_000)}"}`
    const bytes = Buffer.from(`${line}\n{"arrivalUs":5,"inputTokens":2,"outputTokens":2}\n`)
    async function* inPieces(): AsyncGenerator<Buffer> {
      for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536)
    }
    const seen: Array<[number, number]> = []
    for await (const _ of splitJsonLines(inPieces(), (text, n) => seen.push([text.length, n]), 't.jsonl'));
    expect(seen).toEqual([
      [line.length, 1],
      [48, 2],
    ])
  })

  test('a gzip bomb stops early, whether it expands to zeros or to blank lines', async () => {
    const zeros = write('zeros.jsonl.gz', gzipSync(Buffer.alloc(24 << 20)))
    expect((await readError(zeros, {format: 'native'})).message).toMatch(/zeros\.jsonl\.gz: gzip data expands more than 100 times \(\d+ bytes from \d+\); .* gzip bomb/)
    // Level 1 compresses blank lines only about 230 times: still a bomb.
    const blank = write('blank.csv.gz', gzipSync(Buffer.concat([Buffer.from('TIMESTAMP,ContextTokens,GeneratedTokens\n'), Buffer.alloc(20 << 20, 0x0a)]), {level: 1}))
    expect((await readError(blank)).message).toMatch(/blank\.csv\.gz: gzip data expands more than 100 times/)
    // An ordinary compressed trace is read (the bundled chat trace compresses about 4 times).
    const real = write('chat.jsonl.gz', gzipSync(readFileSync(join(root, 'traces', 'chat.jsonl'))))
    expect((await readAll(real)).records).toHaveLength(1000)
  })

  test('a CSV quote that never closes names the line where it opened, and a runaway record is bounded', async () => {
    const rows = ['TIMESTAMP,ContextTokens,GeneratedTokens', '2023-11-16 18:17:03.9799600,10,5', '2023-11-16 18:17:04.9799600,"11,5', '2023-11-16 18:17:05.9799600,12,5', '']
    const open = write('unclosed.csv', rows.join('\n'))
    expect((await readError(open)).message).toBe(
      `${open}:3: CSV: a quoted field opened in the row starting on line 3 is never closed (the file ends inside it, at line 4); expected a closing "`,
    )
    const runaway = write('runaway.csv', `${rows.slice(0, 3).join('\n')}\n${'x'.repeat(maxLineChars + 10)}\n`)
    expect((await readError(runaway)).message).toMatch(new RegExp(`^${runaway}:3: CSV: the row starting on line 3 is longer than 16 MiB`))
  })

  test('arrival times past what integer microseconds hold are refused, naming the field', async () => {
    const azure = write('far-future.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,10,5\n9999-11-16 18:17:04.9799600,11,5\n')
    expect((await readError(azure)).message).toBe(
      `${azure}:3: TIMESTAMP: expected a time that fits in microseconds (at most 285 years after the clock's origin), got "9999-11-16 18:17:04.9799600"`,
    )
    const mooncake = write('far.jsonl', '{"timestamp": 1e20, "input_length": 5, "output_length": 3}\n')
    expect((await readError(mooncake)).message).toMatch(/far\.jsonl:1: timestamp: expected a time that fits in microseconds/)
    // Skipped like any bad row under --skip-invalid.
    expect((await readAll(azure, {skipInvalid: true})).records).toHaveLength(1)
  })

  test('backend YAML: syntax errors name their line, alias bombs and absurd replica counts are refused at load', () => {
    const syntax = write('syntax.yaml', 'kind: aggregated\nname: x\npool:\n  hardware: h100\n  replicas: [1, 2\n')
    expect(() => loadBackendConfig(syntax)).toThrow(/syntax\.yaml:\d: invalid YAML: /)
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    const bombFile = write('bomb.yaml', `${bomb.join('\n')}\nkind: aggregated\n`)
    expect(() => loadBackendConfig(bombFile)).toThrow(ConfigError)
    expect(() => loadBackendConfig(bombFile)).toThrow(`${bombFile}: invalid YAML: its aliases (*name) expand to more than 1000 copies, as an alias bomb does`)
    const preset = loadBackendConfig('gpu-h100') as {pool: {replicas: number}}
    const huge = write('huge.json', JSON.stringify({...preset, pool: {...preset.pool, replicas: 1_000_000_000}}))
    expect(() => loadBackendConfig(huge)).toThrow(`${huge}: pool.replicas: expected at most 10,000 replicas (the simulator keeps state per replica), got 1000000000`)
  })

  test('control characters from files are shown escaped, never sent to the terminal', () => {
    expect(escapeControlChars('cs3\u001b[2J\u001b]0;title\u0007\rover\u202egnp.exe\tok\n')).toBe('cs3\\x1b[2J\\x1b]0;title\\x07\\x0dover\\u202egnp.exe\tok\n')
  })

  test.skipIf(!built)('through the CLI: standard input is read, a FIFO sweep is refused, a hostile model name is escaped', () => {
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {cwd: root, encoding: 'utf8', input, env: {...process.env, CI: '1'}})
    const viaStdin = run(['trace', 'inspect', '-', '--json'], `${'{"arrivalUs":0,"inputTokens":5,"outputTokens":3}\n'.repeat(3)}`)
    expect(viaStdin.status).toBe(0)
    expect(JSON.parse(viaStdin.stdout)).toMatchObject({file: '-', requests: 3})
    const fifo = join(dir, 'trace.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const sweep = run(['sweep', fifo, '--backend', 'cs3', '--rate-scale', '1', '--out', join(dir, 'sweep')])
    expect(sweep.status).toBe(2)
    expect(sweep.stderr).toContain(`${fifo}: is a FIFO (named pipe), which can be read only once, and every point of a sweep, capacity search or claim reads the trace; save it to a file first`)
    const evil = write('evil.jsonl', '{"arrivalUs":0,"inputTokens":5,"outputTokens":3,"\\u001b[2Jfield":1}\n')
    const inspected = run(['trace', 'inspect', evil])
    expect(inspected.status).toBe(0)
    expect(inspected.stderr).toContain('unknown field "\\x1b[2Jfield"')
    expect(inspected.stderr).not.toContain('\u001b')
    expect(fixture('native.jsonl')).toBeTruthy()
  })
})
