/** `tracebench merge` through the real CLI (needs a build: `npx tsc -p .`). */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {parseResultsText} from '../../src/metrics/results-file.js'

const root = join(import.meta.dirname, '..', '..')
const fixtures = join(root, 'test', 'fixtures', 'results')
const built = existsSync(join(root, 'dist', 'commands', 'merge.js'))
if (!built) console.warn('skipping tracebench merge CLI tests: dist/ is not built (run `npx tsc -p .`)')

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'merge', ...args], {cwd: root, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('tracebench merge (CLI)', () => {
  const out = mkdtempSync(join(tmpdir(), 'tracebench-merge-'))

  test('merges two files, prints a summary and writes a valid results file', () => {
    const target = join(out, 'merged.json')
    const r = run(join(fixtures, 'baseline.json'), join(fixtures, 'seed-2.json'), '--out', target)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('2 parts merged')
    expect(r.stdout).toMatch(/requests +400 \(completed 400, failed 0\)/)
    expect(r.stdout).toContain(`wrote ${target} (2 parts)`)
    const merged = parseResultsText(readFileSync(target, 'utf8'), target)
    expect(merged.parts).toBe(2)
    expect(merged.seeds).toEqual([1, 2])
    expect(merged.metrics.ttft.count).toBe(400)
    expect(merged.command[0]).toBe('merge')
  })

  test('--json prints only the typed result', () => {
    const target = join(out, 'merged-json.json')
    const r = run(join(fixtures, 'baseline.json'), join(fixtures, 'with-failures.json'), join(fixtures, 'seed-2.json'), '--out', target, '--json')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as {out: string; parts: number; counters: {requests: number; failed: number}}
    expect(json.out).toBe(target)
    expect(json.parts).toBe(3)
    expect(json.counters).toMatchObject({requests: 600, failed: 20})
  })

  test('refuses different configurations with the differing field and exit code 2, no stack trace', () => {
    const r = run(join(fixtures, 'baseline.json'), join(fixtures, 'other-config.json'), '--out', join(out, 'no.json'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('cannot merge: backend.config.decode.systems differs (')
    expect(r.stderr).toContain('baseline.json: 4,')
    expect(r.stderr).toContain('other-config.json: 8)')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(join(out, 'no.json'))).toBe(false)
  })

  test('an invalid input file is named with its field', () => {
    const r = run(join(fixtures, 'baseline.json'), join(fixtures, 'bad-field-type.json'), '--out', join(out, 'no.json'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/bad-field-type\.json: invalid results file: metrics\.ttft\.p90/)
  })

  test('one file is not enough', () => {
    const r = run(join(fixtures, 'baseline.json'), '--out', join(out, 'no.json'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('merge needs at least two results files, got 1')
  })
})
