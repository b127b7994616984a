import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {evaluateGate} from '../../src/claims/gate.js'
import {formatGateTable} from '../../src/claims/format-gate-table.js'
import {buildBmf} from '../../src/claims/outputs/bmf.js'
import {buildGithubBenchmark, githubBenchmarkPaths} from '../../src/claims/outputs/github-benchmark.js'
import {gateToJunit} from '../../src/claims/outputs/junit.js'
import {appendStepSummary, gateToMarkdown} from '../../src/claims/outputs/step-summary.js'
import {compareWithBaseline, parseRegressionLimit} from '../../src/claims/regression-limit.js'
import {readResultsFile, type ResultsFile} from '../../src/metrics/results-file.js'
import {parseSlo} from '../../src/metrics/slo.js'
import {parseXml, type XmlElement} from './parse-xml.js'
import {validateBmf, validateGithubBenchmark} from './validate-formats.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'results')
const load = (name: string): Promise<ResultsFile> => readResultsFile(join(fixtures, name))

function gate(results: ResultsFile, thresholds: string[], extra: {baseline?: ResultsFile; regressions?: string[]} = {}) {
  return evaluateGate({
    results,
    resultsPath: 'results.json',
    thresholds: thresholds.map((t) => parseSlo(t)),
    baseline: extra.baseline,
    baselinePath: extra.baseline === undefined ? undefined : 'baseline.json',
    regressions: (extra.regressions ?? []).map((r) => parseRegressionLimit(r)),
  })
}

describe('thresholds', () => {
  test('a crafted file that breaks one threshold fails and names it; the healthy file passes', async () => {
    const thresholds = ['ttft.p99<1s', 'tpot.p90<20ms', 'goodput.ratio>=0.5']
    const healthy = gate(await load('baseline.json'), thresholds)
    expect(healthy.passed).toBe(true)
    expect(healthy.failed).toBe(0)

    const broken = gate(await load('breaks-ttft.json'), thresholds)
    expect(broken.passed).toBe(false)
    expect(broken.failed).toBe(1)
    const failed = broken.checks.filter((c) => !c.passed)
    expect(failed.map((c) => c.name)).toEqual(['ttft.p99<1000ms'])
    expect(failed[0]!.actual).toBeCloseTo(1460.223, 3)
    expect(failed[0]!.reason).toBe('ttft.p99 was 1460.223 ms, expected < 1000 ms')
    expect(formatGateTable(broken)).toContain('FAIL ttft.p99<1000ms: ttft.p99 was 1460.223 ms')
  })

  test('a threshold on a metric the results do not have fails with "no data", never passes', async () => {
    const noSlos = gate(await load('no-slos.json'), ['goodput.ratio>=0.5'])
    expect(noSlos.passed).toBe(false)
    expect(noSlos.checks[0]!.reason).toMatch(/^no data: the run had no SLOs/)
    const aggregated = gate(await load('aggregated.json'), ['kvTransfer.p90<1s'])
    expect(aggregated.passed).toBe(false)
    expect(aggregated.checks[0]!.reason).toMatch(/^no data: no request crossed a KV link/)
    const empty = gate(await load('empty.json'), ['ttft.p90<10s', 'throughput.outputTokensPerS>0'])
    expect(empty.failed).toBe(2)
    expect(empty.checks.every((c) => c.reason?.startsWith('no data') === true)).toBe(true)
  })
})

describe('regressions against a baseline', () => {
  test('an 11% TPOT regression fails a 10% limit and a 9% one passes', async () => {
    const baseline = await load('baseline.json')
    const eleven = gate(await load('tpot-plus-11pct.json'), [], {baseline, regressions: ['tpot.p90:+10%']})
    expect(eleven.passed).toBe(false)
    expect(eleven.checks[0]!.changePct).toBeCloseTo(10.98, 1)
    expect(eleven.checks[0]!.reason).toMatch(/^tpot\.p90 rose 10\.9\d% \(16\.319 -> 18\.111 ms\), more than the allowed 10%$/)
    const nine = gate(await load('tpot-plus-9pct.json'), [], {baseline, regressions: ['tpot.p90:+10%']})
    expect(nine.passed).toBe(true)
    expect(nine.checks[0]!.changePct).toBeCloseTo(9.02, 1)
    // The sign is optional.
    expect(gate(await load('tpot-plus-11pct.json'), [], {baseline, regressions: ['tpot.p90:10%']}).passed).toBe(false)
  })

  test('direction-aware: a fall is a regression for throughput, a rise is not', () => {
    const limit = parseRegressionLimit('throughput.outputTokensPerS:-10%')
    expect(limit.canonical).toBe('throughput.outputTokensPerS:-10%')
    expect(compareWithBaseline(limit, 890, 1000).passed).toBe(false)
    expect(compareWithBaseline(limit, 910, 1000).passed).toBe(true)
    expect(compareWithBaseline(limit, 5000, 1000).passed).toBe(true)
    const latency = parseRegressionLimit('ttft.p99:+10%')
    expect(compareWithBaseline(latency, 500, 1000).passed).toBe(true)
    expect(compareWithBaseline(latency, 1100, 1000).passed).toBe(true)
    expect(compareWithBaseline(latency, 1101, 1000).passed).toBe(false)
    expect(compareWithBaseline(parseRegressionLimit('userSpeed.p10:5%'), 94, 100).passed).toBe(false)
  })

  test('missing data on either side fails with the side named', async () => {
    const limit = parseRegressionLimit('tpot.p90:+10%')
    expect(compareWithBaseline(limit, null, 10)).toMatchObject({passed: false, reason: 'no data in the results file'})
    expect(compareWithBaseline(limit, 10, null)).toMatchObject({passed: false, reason: 'no data in the baseline file'})
    const report = gate(await load('empty.json'), [], {baseline: await load('baseline.json'), regressions: ['ttft.p90:+5%']})
    expect(report.passed).toBe(false)
    expect(report.warnings.join('\n')).toBe('')
  })

  test('a baseline of another configuration is compared but noted', async () => {
    const report = gate(await load('baseline.json'), [], {baseline: await load('aggregated.json'), regressions: ['ttft.p90:+50%']})
    expect(report.warnings).toContain('the baseline has another backend (cs3 vs trn3-cs3)')
  })

  test.each([
    ['tpot.p90+10%', 'no ":" between the metric and the allowed change'],
    ['tpot.p90:-10%', 'tpot.p90: smaller is better, so a regression is a rise; expected tpot.p90:+10%'],
    ['throughput.outputTokensPerS:+5%', 'bigger is better, so a regression is a fall'],
    ['ttfb.p90:+10%', 'unknown metric "ttfb"'],
    ['tpot.p90:10', '"10" is not a percentage'],
    ['ttft.count:+10%', 'ttft.count is a count'],
  ])('bad regression limit %s', (text, message) => {
    expect(() => parseRegressionLimit(text)).toThrow(message)
    expect(() => parseRegressionLimit(text)).toThrow(`invalid regression limit "${text}"`)
  })
})

function findAll(element: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = element.name === name ? [element] : []
  for (const child of element.children) out.push(...findAll(child, name))
  return out
}

describe('CI outputs', () => {
  test('JUnit XML parses strictly, counts match, and the failed check is a <failure>', async () => {
    const report = gate(await load('breaks-ttft.json'), ['ttft.p99<1s', 'tpot.p90<20ms'], {
      baseline: await load('baseline.json'),
      regressions: ['tpot.p90:+10%'],
    })
    const root = parseXml(gateToJunit(report))
    expect(root.name).toBe('testsuites')
    expect(root.attributes).toMatchObject({tests: '3', failures: '1', errors: '0'})
    const suites = findAll(root, 'testsuite')
    expect(suites).toHaveLength(1)
    expect(suites[0]!.attributes).toMatchObject({tests: '3', failures: '1'})
    const cases = findAll(root, 'testcase')
    expect(cases.map((c) => c.attributes.name)).toEqual(['ttft.p99<1000ms', 'tpot.p90<20ms', 'tpot.p90:+10%'])
    expect(cases.every((c) => c.attributes.classname !== undefined && c.attributes.time === '0')).toBe(true)
    const failures = findAll(root, 'failure')
    expect(failures).toHaveLength(1)
    expect(failures[0]!.attributes.message).toBe('ttft.p99 was 1460.223 ms, expected < 1000 ms')
    expect(failures[0]!.text).toContain('measured 1460.22 ms, limit < 1000 ms')
    const properties = findAll(root, 'property')
    expect(properties.find((p) => p.attributes.name === 'baseline')?.attributes.value).toBe('baseline.json')
  })

  test('hostile names (markup, quotes, control characters) still give well-formed XML and escaped Markdown', async () => {
    const results = await load('breaks-ttft.json')
    const report = evaluateGate({
      results,
      resultsPath: 'runs/<script>alert("x")</script>&\u0001\'.json',
      thresholds: [parseSlo('ttft.p99<1s')],
    })
    const root = parseXml(gateToJunit(report))
    const suite = findAll(root, 'testsuite')[0]!
    expect(suite.attributes.name).toBe('tracebench gate: runs/<script>alert("x")</script>&\uFFFD\'.json')
    const markdown = gateToMarkdown(report)
    expect(markdown).not.toContain('<script>')
    expect(markdown).toContain('&lt;script&gt;')
  })

  test('the parser used above rejects malformed XML (so the JUnit check means something)', () => {
    expect(() => parseXml('<a><b></a>')).toThrow('closes')
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow('duplicate attribute')
    expect(() => parseXml('<a>1 < 2</a>')).toThrow()
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow('unknown entity')
    expect(() => parseXml('<a/><b/>')).toThrow('content after the root element')
  })

  test('BMF is valid Bencher Metric Format with the gated metrics, in the metric units', async () => {
    const results = await load('baseline.json')
    const bmf = buildBmf(results, [parseSlo('ttft.p75<1s'), parseRegressionLimit('itl.p999:+5%')])
    expect(validateBmf(JSON.parse(JSON.stringify(bmf)))).toEqual([])
    const [name, measures] = Object.entries(bmf)[0]!
    expect(name).toBe('crafted / trn3-cs3 / llama-3.1-70b @ x1')
    expect(measures['ttft-p99']!.value).toBeCloseTo(744.959, 3)
    expect(measures['throughput-output-tokens-per-s']!.value).toBeCloseTo(1256.461, 3)
    expect(measures['ttft-p75']).toBeDefined()
    expect(measures['itl-p999']).toBeDefined()
    expect(validateBmf({a: {'Bad Slug': {value: 1}}})).not.toEqual([])
    expect(validateBmf({a: {b: {value: '1'}}})).not.toEqual([])
  })

  test('metrics with no data are left out of BMF rather than written as 0', async () => {
    const bmf = buildBmf(await load('aggregated.json'), [parseSlo('kvTransfer.p90<1s')])
    const measures = Object.values(bmf)[0]!
    expect(measures['kv-transfer-p90']).toBeUndefined()
    expect(measures['goodput-ratio']).toBeDefined()
  })

  test('github-action-benchmark files split by direction and match the custom tool format', async () => {
    const files = buildGithubBenchmark(await load('baseline.json'))
    expect(validateGithubBenchmark(files.smallerIsBetter)).toEqual([])
    expect(validateGithubBenchmark(files.biggerIsBetter)).toEqual([])
    const smaller = files.smallerIsBetter.map((e) => e.name.split(' - ')[1])
    const bigger = files.biggerIsBetter.map((e) => e.name.split(' - ')[1])
    expect(smaller).toContain('ttft.p90')
    expect(smaller).toContain('failed.ratio')
    expect(bigger).toContain('throughput.outputTokensPerS')
    expect(bigger).toContain('userSpeed.p10')
    expect(smaller).not.toContain('throughput.outputTokensPerS')
    expect(githubBenchmarkPaths('out/bench.json')).toEqual({smaller: 'out/bench.json', bigger: 'out/bench.bigger.json'})
    expect(githubBenchmarkPaths('out.d/bench')).toEqual({smaller: 'out.d/bench', bigger: 'out.d/bench.bigger'})
  })

  test('the Markdown summary is appended to $GITHUB_STEP_SUMMARY when set', async () => {
    const report = gate(await load('breaks-ttft.json'), ['ttft.p99<1s'])
    const markdown = gateToMarkdown(report)
    expect(markdown).toContain('### tracebench gate: ❌ failed: 1 of 1 checks')
    expect(markdown).toContain('| ❌ | ttft.p99&lt;1000ms | 1460.22 ms | &lt; 1000 ms |')
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-gate-'))
    const path = join(dir, 'summary.md')
    writeFileSync(path, 'earlier step\n')
    expect(await appendStepSummary(markdown, {GITHUB_STEP_SUMMARY: path})).toBe(path)
    expect(readFileSync(path, 'utf8')).toBe(`earlier step\n${markdown}\n`)
    expect(await appendStepSummary(markdown, {})).toBeNull()
  })
})
