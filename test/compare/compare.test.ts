import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {compareResults, mapePercentiles} from '../../src/compare/compare-results.js'
import {parseErrorLimit} from '../../src/compare/error-limit.js'
import {decodeHistogram} from '../../src/metrics/histograms.js'
import {writeResultsFile, type ResultsFile} from '../../src/metrics/results-file.js'
import {runReplay} from '../../src/replay/run-replay.js'

const root = join(import.meta.dirname, '..', '..')
let dir: string
let slow: ResultsFile
let fast: ResultsFile
let otherTrace: ResultsFile

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'compare', ...args], {cwd: root, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracebench-compare-'))
  const common = {trace: 'synth:chat?requests=150&rate=20', backend: 'gpu-h100', model: 'llama-3.1-8b', seed: 3}
  slow = await runReplay({...common, poolReplicas: {pool: 1}, requestsOut: join(dir, 'slow.csv')})
  fast = await runReplay({...common, poolReplicas: {pool: 2}, requestsOut: join(dir, 'fast.jsonl')})
  otherTrace = await runReplay({...common, trace: 'synth:chat?requests=151&rate=20', poolReplicas: {pool: 1}})
  await writeResultsFile(join(dir, 'slow.json'), slow)
  await writeResultsFile(join(dir, 'fast.json'), fast)
  await writeResultsFile(join(dir, 'other-trace.json'), otherTrace)
})

afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('compareResults', () => {
  it('reports absolute and relative differences and MAPE from the histograms', () => {
    const report = compareResults(slow, fast, {basePath: 'slow.json', otherPath: 'fast.json'})
    const ttft = report.rows.find((r) => r.key === 'ttft.p90')!
    expect(ttft.base).toBe(slow.metrics.ttft.p90)
    expect(ttft.other).toBe(fast.metrics.ttft.p90)
    expect(ttft.difference).toBeCloseTo(fast.metrics.ttft.p90! - slow.metrics.ttft.p90!, 9)
    expect(ttft.relativePct).toBeCloseTo(((fast.metrics.ttft.p90! - slow.metrics.ttft.p90!) / slow.metrics.ttft.p90!) * 100, 9)
    // Independent MAPE: percentiles read one by one from the decoded histograms.
    const b = decodeHistogram(slow.metrics.e2e.histogram)
    const o = decodeHistogram(fast.metrics.e2e.histogram)
    const errors = mapePercentiles.map((p) => Math.abs(o.getValueAtPercentile(p) - b.getValueAtPercentile(p)) / b.getValueAtPercentile(p))
    expect(report.mape.e2e).toBeCloseTo((errors.reduce((s, e) => s + e, 0) / errors.length) * 100, 6)
    expect(report.configDifferences).toContain('backend configuration: same name, different settings')
    expect(report.sameTrace).toBe(true)
  })

  it('a file against itself has no error, and limits pass', () => {
    const limits = ['ttft.p90:0%', 'tpot.mape:0%'].map(parseErrorLimit)
    const report = compareResults(slow, slow, {basePath: 'a', otherPath: 'a', limits})
    expect(report.rows.every((r) => r.difference === 0 || r.difference === null)).toBe(true)
    expect(Object.values(report.mape)).toEqual([0, 0, 0, 0])
    expect(report.passed).toBe(true)
  })

  it('checks relative plus absolute allowances', () => {
    const diff = Math.abs(fast.metrics.e2e.p50! - slow.metrics.e2e.p50!)
    const pct = (diff / slow.metrics.e2e.p50!) * 100
    const within = compareResults(slow, fast, {basePath: 'a', otherPath: 'b', limits: [parseErrorLimit(`e2e.p50:${(pct + 0.01).toFixed(3)}%`)]})
    expect(within.passed).toBe(true)
    const beyond = compareResults(slow, fast, {basePath: 'a', otherPath: 'b', limits: [parseErrorLimit(`e2e.p50:${(pct / 2).toFixed(3)}%`)]})
    expect(beyond.passed).toBe(false)
    const rescued = compareResults(slow, fast, {basePath: 'a', otherPath: 'b', limits: [parseErrorLimit(`e2e.p50:${(pct / 2).toFixed(3)}%+${Math.ceil(diff)}ms`)]})
    expect(rescued.passed).toBe(true)
  })

  it('refuses files of different traces unless told otherwise', () => {
    expect(() => compareResults(slow, otherTrace, {basePath: 'a.json', otherPath: 'b.json'})).toThrow(/different traces \(requests 150 vs 151/)
    const report = compareResults(slow, otherTrace, {basePath: 'a.json', otherPath: 'b.json', allowDifferentTraces: true})
    expect(report.sameTrace).toBe(false)
  })

  it('rejects malformed limits with the expected form', () => {
    expect(() => parseErrorLimit('ttft.p90<5%')).toThrow(/no ":"/)
    expect(() => parseErrorLimit('ttft.p90:five')).toThrow(/not a percentage/)
    expect(() => parseErrorLimit('queue.mape:5%')).toThrow(/MAPE is computed for ttft, tpot, itl, e2e/)
    expect(parseErrorLimit(' tpot.p50 : 5 % + 2 ms').canonical).toBe('tpot.p50:5%+2ms')
  })
})

describe('tracebench compare (CLI)', () => {
  it('exits 99 when a limit is exceeded and writes JUnit, Markdown and BMF', () => {
    const out = cli(join(dir, 'slow.json'), join(dir, 'fast.json'), '--max-error', 'ttft.p90:0.001%', '--max-error', 'tpot.mape:1000%', '--junit', join(dir, 'c.xml'), '--summary-md', join(dir, 'c.md'), '--bmf', join(dir, 'c.bmf.json'))
    expect(out.status, out.stderr).toBe(99)
    expect(out.stdout).toMatch(/FAIL {2}ttft\.p90:0\.001%/)
    expect(out.stdout).toMatch(/PASS {2}tpot\.mape:1000%/)
    expect(readFileSync(join(dir, 'c.xml'), 'utf8')).toMatch(/tests="2" failures="1"/)
    expect(readFileSync(join(dir, 'c.md'), 'utf8')).toContain('| ttft.p90 |')
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'c.bmf.json'), 'utf8')))).toHaveLength(1)
  })

  it('lists the requests that differ most from per-request logs (CSV against JSONL)', () => {
    const out = cli(join(dir, 'slow.json'), join(dir, 'fast.json'), '--base-requests', join(dir, 'slow.csv'), '--other-requests', join(dir, 'fast.jsonl'), '--json')
    expect(out.status, out.stderr).toBe(0)
    const report = JSON.parse(out.stdout)
    expect(report.requests.matched).toBe(150)
    const top = report.requests.top
    expect(top).toHaveLength(10)
    for (let i = 1; i < top.length; i++) expect(top[i].differenceMs).toBeLessThanOrEqual(top[i - 1].differenceMs)
  })

  it('writes a comparison file that tracebench report renders (both curves and the error table)', () => {
    const out = cli(join(dir, 'slow.json'), join(dir, 'fast.json'), '--out', join(dir, 'cmp.json'))
    expect(out.status, out.stderr).toBe(0)
    const report = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'report', join(dir, 'cmp.json'), '--out', join(dir, 'cmp.html')], {cwd: root, encoding: 'utf8'})
    expect(report.status, report.stderr).toBe(0)
    const html = readFileSync(join(dir, 'cmp.html'), 'utf8')
    expect(html).toContain('Comparison: OTHER against BASE')
    expect(html).toContain('BASE gpu-h100')
    expect(html).toContain('OTHER gpu-h100')
    expect(html).toContain('ttft.p90')
  })

  it('exits 2 on bad input, naming it', () => {
    const bad = cli(join(dir, 'slow.json'), join(dir, 'fast.json'), '--max-error', 'ttft.p90')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/invalid error limit "ttft\.p90"/)
    const different = cli(join(dir, 'slow.json'), join(dir, 'other-trace.json'))
    expect(different.status).toBe(2)
    expect(different.stderr).toMatch(/different traces/)
    const missing = cli(join(dir, 'nope.json'), join(dir, 'fast.json'))
    expect(missing.status).toBe(2)
    expect(missing.stderr).toMatch(/nope\.json: results file not found/)
  })
})
