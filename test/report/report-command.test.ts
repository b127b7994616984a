/** `tracebench report` through the real CLI (needs a build: `npx tsc -p .`). */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const results = join(root, 'test', 'fixtures', 'results')
const reportFixtures = join(root, 'test', 'fixtures', 'report')
const built = existsSync(join(root, 'dist', 'commands', 'report.js'))
if (!built) console.warn('skipping tracebench report CLI tests: dist/ is not built (run `npx tsc -p .`)')

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'report', ...args], {cwd: root, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('tracebench report (CLI)', () => {
  const out = mkdtempSync(join(tmpdir(), 'tracebench-report-'))

  test('writes one self-contained HTML file and says which charts were drawn', () => {
    const target = join(out, 'two.html')
    const r = run(join(results, 'baseline.json'), join(results, 'aggregated.json'), join(reportFixtures, 'claims.json'), '--out', target, '--title', 'Two runs')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^wrote .*two\.html \(\d\.\d\d MB\): 6 charts drawn \(claims, crossover, kv-bandwidth, latency, interactivity, timeline\)$/m)
    expect(r.stdout).toContain('throughput-load: Not drawn: no backend was run at two or more load levels')
    const page = readFileSync(target, 'utf8')
    expect(page.startsWith('<!doctype html>')).toBe(true)
    expect(page).toContain('<title>Two runs</title>')
    // Provenance paths are shown relative to where the command ran (the repository root here).
    expect(page).toContain('tracebench report test/fixtures/results/baseline.json')
    expect(page).not.toContain(join(results, 'baseline.json'))
  })

  test('--json prints the typed result, --svg writes a static SVG per drawn chart', () => {
    const target = join(out, 'svg.html')
    const svgDir = join(out, 'svg')
    const r = run(join(reportFixtures, 'hostile-names.json'), join(results, 'baseline.json'), '--out', target, '--svg', svgDir, '--json')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as {out: string; bytes: number; inputs: Array<{kind: string}>; charts: Array<{id: string; drawn: boolean; note: string | null}>; svg: string[]}
    expect(json.out).toBe(target)
    expect(json.bytes).toBe(readFileSync(target).length)
    expect(json.inputs.map((i) => i.kind)).toEqual(['results', 'results'])
    expect(json.charts.filter((c) => c.drawn).map((c) => c.id)).toEqual(['latency', 'interactivity', 'timeline'])
    expect(json.charts.find((c) => c.id === 'claims')?.note).toMatch(/^Not drawn: /)
    expect(readdirSync(svgDir).sort()).toEqual(['interactivity.svg', 'latency.svg', 'timeline.svg'])
    for (const file of json.svg) {
      const svg = readFileSync(file, 'utf8')
      expect(svg.startsWith('<svg')).toBe(true)
      // Names from the results file stay text in the SVG too.
      expect(svg).not.toContain('<script')
      expect(svg).not.toContain('<img')
    }
    expect(readFileSync(join(svgDir, 'interactivity.svg'), 'utf8')).toContain('evil &lt;script&gt;')
  })

  test('a missing input is one line on stderr with exit code 2, and no file is written', () => {
    const target = join(out, 'missing.html')
    const r = run(join(results, 'does-not-exist.json'), '--out', target)
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/^Error: .*does-not-exist\.json: no such file or folder$/)
    expect(r.stderr).not.toContain('    at ')
    expect(existsSync(target)).toBe(false)
  })

  test('an invalid input names the file and field', () => {
    const r = run(join(results, 'bad-field-type.json'), '--out', join(out, 'bad.html'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('bad-field-type.json: invalid results file: metrics.ttft.p90')
  })

  test('--out is required', () => {
    const r = run(join(results, 'baseline.json'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Missing required flag[\s\S]*out/)
  })
})
