/** `tracebench gate` through the real CLI (needs a build: `npx tsc -p .`). */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {parseXml} from './parse-xml.js'
import {validateBmf, validateGithubBenchmark} from './validate-formats.js'

const root = join(import.meta.dirname, '..', '..')
const fixtures = join(root, 'test', 'fixtures', 'results')
const built = existsSync(join(root, 'dist', 'commands', 'gate.js'))
if (!built) console.warn('skipping tracebench gate CLI tests: dist/ is not built (run `npx tsc -p .`)')

function run(args: string[], env: Record<string, string> = {}) {
  const clean = {...process.env, NO_COLOR: '1', ...env}
  if (env.GITHUB_STEP_SUMMARY === undefined) delete clean.GITHUB_STEP_SUMMARY
  const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'gate', ...args], {cwd: root, encoding: 'utf8', env: clean})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('tracebench gate (CLI)', () => {
  const out = mkdtempSync(join(tmpdir(), 'tracebench-gate-cli-'))

  test('exit 0 when every threshold passes', () => {
    const r = run([join(fixtures, 'baseline.json'), '--threshold', 'ttft.p99<1s', '--threshold', 'goodput.ratio>=0.8'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('passed: 2 checks')
  })

  test('exit 99 naming the broken threshold; writes JUnit, Markdown, BMF and github-action-benchmark files', () => {
    const summary = join(out, 'step-summary.md')
    writeFileSync(summary, '')
    const files = {junit: join(out, 'gate.xml'), md: join(out, 'gate.md'), bmf: join(out, 'bmf.json'), gh: join(out, 'bench.json')}
    const r = run(
      [
        join(fixtures, 'breaks-ttft.json'),
        '-t',
        'ttft.p99<1s',
        '-t',
        'tpot.p90<20ms',
        '--junit',
        files.junit,
        '--summary-md',
        files.md,
        '--bmf',
        files.bmf,
        '--github-benchmark',
        files.gh,
      ],
      {GITHUB_STEP_SUMMARY: summary},
    )
    expect(r.code).toBe(99)
    expect(r.stdout).toContain('FAIL ttft.p99<1000ms: ttft.p99 was 1460.223 ms, expected < 1000 ms')
    expect(r.stdout).toContain('failed: 1 of 2 checks')
    const junit = parseXml(readFileSync(files.junit, 'utf8'))
    expect(junit.attributes).toMatchObject({tests: '2', failures: '1'})
    expect(readFileSync(files.md, 'utf8')).toContain('❌ failed: 1 of 2 checks')
    expect(readFileSync(summary, 'utf8')).toBe(`${readFileSync(files.md, 'utf8')}\n`)
    expect(validateBmf(JSON.parse(readFileSync(files.bmf, 'utf8')))).toEqual([])
    expect(validateGithubBenchmark(JSON.parse(readFileSync(files.gh, 'utf8')))).toEqual([])
    expect(validateGithubBenchmark(JSON.parse(readFileSync(join(out, 'bench.bigger.json'), 'utf8')))).toEqual([])
  })

  test('regressions: 11% fails a 10% limit (exit 99), 9% passes (exit 0); --json still prints the report', () => {
    const fail = run([join(fixtures, 'tpot-plus-11pct.json'), '--baseline', join(fixtures, 'baseline.json'), '--max-regression', 'tpot.p90:+10%', '--json'])
    expect(fail.code).toBe(99)
    const report = JSON.parse(fail.stdout) as {passed: boolean; exitCode: number; checks: Array<{name: string; passed: boolean; reason?: string}>}
    expect(report.passed).toBe(false)
    expect(report.exitCode).toBe(99)
    expect(report.checks[0]).toMatchObject({name: 'tpot.p90:+10%', passed: false})
    const pass = run([join(fixtures, 'tpot-plus-9pct.json'), '--baseline', join(fixtures, 'baseline.json'), '--max-regression', 'tpot.p90:+10%'])
    expect(pass.code).toBe(0)
  })

  test('a threshold on a metric the results do not have fails the gate with that reason', () => {
    const r = run([join(fixtures, 'no-slos.json'), '--threshold', 'goodput.ratio>=0.9'])
    expect(r.code).toBe(99)
    expect(r.stdout).toContain('FAIL goodput.ratio>=0.9: no data: the run had no SLOs, so goodput was not computed')
  })

  test.each([
    [['--threshold', 'ttft.p99<1'], 'invalid SLO "ttft.p99<1": missing time unit'],
    [['--max-regression', 'tpot.p90:+10%'], '--max-regression needs --baseline'],
    [[], 'nothing to check'],
    [['--threshold', 'ttfb.p99<1s'], 'unknown metric "ttfb"'],
  ])('bad usage %j exits 2 with one line, no stack trace', (args, message) => {
    const r = run([join(fixtures, 'baseline.json'), ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  test('a bad results file names the file and the field, exit 2', () => {
    const r = run([join(fixtures, 'bad-field-type.json'), '--threshold', 'ttft.p99<1s'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/bad-field-type\.json: invalid results file: metrics\.ttft\.p90/)
  })

  test('a results file whose summary was edited to pass is refused (exit 2), not gated', () => {
    const edited = JSON.parse(readFileSync(join(fixtures, 'breaks-ttft.json'), 'utf8'))
    edited.metrics.ttft.p99 = 900
    const path = join(out, 'edited-to-pass.json')
    writeFileSync(path, JSON.stringify(edited))
    const r = run([path, '--threshold', 'ttft.p99<1s'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${path}: metrics.ttft.p99 is 900, but recomputed from its histogram it is 1460.223`)
    expect(r.stdout).not.toContain('passed')
  })
})
