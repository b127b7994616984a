import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {evaluateCapacityGate, parseCapacityRegression, parseCapacityThreshold} from '../../src/claims/capacity-gate.js'
import {evaluateGate} from '../../src/claims/gate.js'
import {readResultsFile} from '../../src/metrics/results-file.js'
import {parseSlo} from '../../src/metrics/slo.js'
import type {CapacityReport} from '../../src/parallel/capacity-report.js'

const root = join(import.meta.dirname, '..', '..')
const built = existsSync(join(root, 'dist', 'commands', 'gate.js'))
const dir = mkdtempSync(join(tmpdir(), 'tracebench-capacity-gate-'))

/** A capacity file with the fields the gate reads: one backend per search status. */
function craftCapacity(outputTokensPerS: number): CapacityReport {
  const result = (backendSpec: string, status: string, tokens: number, message: string) => ({
    backend: backendSpec,
    backendSpec,
    model: 'llama-3.3-70b',
    status,
    lowerBound: status === 'lower-bound',
    rateScale: status === 'too-short' ? 0 : tokens / 1000,
    requestsPerS: tokens / 200,
    outputTokensPerS: tokens,
    totalOutputTokensPerS: tokens,
    perFootprint: {system: null, chip: null, rack: {requestsPerS: tokens / 800, outputTokensPerS: tokens / 4}, kW: null, usdPerHour: null},
    message,
  })
  return {
    schema: 'tracebench.capacity',
    schemaVersion: 1,
    tool: {name: 'tracebench', version: '0.1.0'},
    command: ['capacity'],
    spec: {trace: 'traces/chat.jsonl', backends: ['trn3-cs3', 'cs3', 'gpu-h100'], model: null, seed: 1, limit: null, slo: ['ttft.p90<=2000ms'], minUserSpeed: null, precision: 0.02, footprint: null, search: {startScale: 1, minScale: 0.001, maxScale: 1024, pointsPerRound: 4}},
    shard: null,
    results: [
      result('trn3-cs3', 'found', outputTokensPerS, 'x67.5'),
      result('cs3', 'lower-bound', 9000, 'at least x90: the SLOs still hold at the highest load tried'),
      result('gpu-h100', 'too-short', 0, 'the trace cannot be tiled to the window'),
    ],
  } as unknown as CapacityReport
}

describe('gate on a capacity file', () => {
  test('each check applies to every backend; a lower bound passes a floor it meets, a search without a number fails', () => {
    const report = evaluateCapacityGate({
      report: craftCapacity(60_000),
      path: 'capacity.json',
      thresholds: ['capacity.outputTokensPerS>=5000', 'capacity.perRack.outputTokensPerS>=1000', 'capacity.rateScale<200'].map(parseCapacityThreshold),
    })
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]))
    expect(byName['capacity.outputTokensPerS>=5000 [trn3-cs3]']).toMatchObject({passed: true, actual: 60_000})
    expect(byName['capacity.perRack.outputTokensPerS>=1000 [trn3-cs3]']).toMatchObject({passed: true, actual: 15_000})
    expect(byName['capacity.outputTokensPerS>=5000 [cs3]']).toMatchObject({passed: true, actual: 9000})
    // An upper limit says nothing about a capacity known only to be at least 90.
    expect(byName['capacity.rateScale<200 [cs3]']!.passed).toBe(false)
    expect(byName['capacity.rateScale<200 [cs3]']!.reason).toMatch(/^a lower bound: the capacity is at least this .*; an upper limit cannot be checked against it$/)
    expect(byName['capacity.outputTokensPerS>=5000 [gpu-h100]']).toMatchObject({passed: false, actual: null, reason: 'no data: the trace cannot be tiled to the window'})
    expect(report.passed).toBe(false)
    expect(report.failed).toBe(4)
  })

  test('regressions against a baseline capacity file, matched by backend', () => {
    const limit = [parseCapacityRegression('capacity.outputTokensPerS:-5%')]
    const fell = evaluateCapacityGate({report: craftCapacity(55_000), path: 'new.json', thresholds: [], baseline: craftCapacity(60_000), baselinePath: 'main.json', regressions: limit})
    const check = fell.checks.find((c) => c.name === 'capacity.outputTokensPerS:-5% [trn3-cs3]')!
    expect(check).toMatchObject({passed: false, actual: 55_000, baseline: 60_000})
    expect(check.reason).toContain('capacity.outputTokensPerS fell 8.33%')
    const held = evaluateCapacityGate({report: craftCapacity(58_000), path: 'new.json', thresholds: [], baseline: craftCapacity(60_000), baselinePath: 'main.json', regressions: limit})
    expect(held.checks.find((c) => c.name === 'capacity.outputTokensPerS:-5% [trn3-cs3]')!.passed).toBe(true)
    expect(held.checks.find((c) => c.name === 'capacity.outputTokensPerS:-5% [cs3]')!.reason).toMatch(/lower bound.*the change cannot be measured/)
  })

  test('malformed capacity checks name what was expected', () => {
    expect(() => parseCapacityThreshold('capacity.speed>1')).toThrow(/unknown field "speed"/)
    expect(() => parseCapacityThreshold('capacity.perRack.rateScale>1')).toThrow(/rateScale is not given per footprint unit/)
    expect(() => parseCapacityRegression('capacity.outputTokensPerS:+5')).toThrow(/expected a percentage such as -5%/)
  })

  test("k6's spellings of aggregations gate a results file: p(95), avg, med, min, max", async () => {
    const results = await readResultsFile(join(root, 'test', 'fixtures', 'results', 'baseline.json'))
    const report = evaluateGate({results, resultsPath: 'baseline.json', thresholds: ['ttft.p(95)<1s', 'ttft.avg<1s', 'ttft.med<=429.311ms', 'ttft.min>0ms', 'ttft.max<2s'].map((t) => parseSlo(t))})
    expect(report.checks.map((c) => c.name)).toEqual(['ttft.p95<1000ms', 'ttft.mean<1000ms', 'ttft.p50<=429.311ms', 'ttft.min>0ms', 'ttft.max<2000ms'])
    expect(report.passed).toBe(true)
    expect(report.checks[2]!.actual).toBe(429.311)
  })

  test.skipIf(!built)('through the CLI: a capacity file is gated with capacity.* checks, and the wrong kind is named', () => {
    const file = join(dir, 'capacity.json')
    writeFileSync(file, JSON.stringify(craftCapacity(60_000)))
    const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'gate', ...args], {cwd: root, encoding: 'utf8'})
    const passed = run([file, '--threshold', 'capacity.perRack.outputTokensPerS>=1000', '--junit', join(dir, 'gate.xml')])
    expect(passed.status).toBe(99) // gpu-h100 has no number
    expect(passed.stdout).toContain('PASS  capacity.perRack.outputTokensPerS>=1000 [trn3-cs3]')
    expect(passed.stdout).toMatch(/FAIL {2}capacity\.perRack\.outputTokensPerS>=1000 \[gpu-h100\]/)
    expect(readFileSync(join(dir, 'gate.xml'), 'utf8')).toContain('name="capacity.perRack.outputTokensPerS&gt;=1000 [cs3]"')
    const wrongKind = run([file, '--threshold', 'ttft.p90<1s'])
    expect(wrongKind.status).toBe(2)
    expect(wrongKind.stderr).toContain(`${file}: is a capacity file; gate it with capacity.* checks`)
  })
})
