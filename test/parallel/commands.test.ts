import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {makeTempDir, removeTempDirs, repoRoot, requireBuiltWorker} from './helpers.js'

const fixtures = join(repoRoot, 'test', 'fixtures', 'parallel')
const trace = 'synth:chat?requests=120&rate=5'
/** Short steady-state windows keep these CLI runs fast (the default window is 300 s). */
const shortWindow = ['--window', '20s', '--warmup-time', '2s']

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: {...process.env, CI: '', ...env},
    timeout: 120_000,
  })
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe('tracebench sweep and capacity (built CLI)', () => {
  beforeAll(() => requireBuiltWorker())
  afterAll(() => removeTempDirs())

  test('sweep --json returns the index, prints progress as plain lines on stderr, and shards merge back', () => {
    const whole = makeTempDir('cli-sweep')
    const common = [trace, '--backend', 'cs3', '--backend', 'gpu-h100', '--rate-scale', '1,2', '--slo', 'ttft.p90<=2s', '--workers', '2']
    const run = cli(['sweep', ...common, '--out', whole, '--json'])
    expect(run.stderr).toContain('sweep: 4/4 done')
    expect(run.status).toBe(0)
    const result = JSON.parse(run.stdout)
    expect(result.indexFile).toBe(join(whole, 'index.json'))
    expect(result.index.points).toHaveLength(4)
    expect(result.index.points[0]).toMatchObject({backend: 'cs3', rateScale: 1, file: 'cs3/x1.json'})
    // The sweep renders its report beside the index; it charts both backends' load curves.
    expect(result.reportFile).toBe(join(whole, 'report.html'))
    const html = readFileSync(join(whole, 'report.html'), 'utf8')
    expect(html).toContain('Throughput and goodput versus offered load')
    expect(html).toContain('gpu-h100')

    const parts = [makeTempDir('cli-part0'), makeTempDir('cli-part1')]
    for (const [i, dir] of parts.entries()) expect(cli(['sweep', ...common, '--shard', `${i}/2`, '--no-report', '--out', dir as string]).status).toBe(0)
    expect(existsSync(join(parts[0] as string, 'report.html'))).toBe(false)
    const merged = makeTempDir('cli-merged')
    const merge = cli(['sweep', '--merge-dir', parts[0] as string, '--merge-dir', parts[1] as string, '--out', merged])
    expect(merge.status).toBe(0)
    expect(merge.stdout).toContain('TTFT p90 ms')
    const a = JSON.parse(readFileSync(join(whole, 'index.json'), 'utf8'))
    const b = JSON.parse(readFileSync(join(merged, 'index.json'), 'utf8'))
    expect(b.points).toEqual(a.points)
    expect(readFileSync(join(merged, 'gpu-h100', 'x2.json'), 'utf8')).toBe(readFileSync(join(whole, 'gpu-h100', 'x2.json'), 'utf8'))
  })

  test('capacity --json has the documented fields', () => {
    const out = makeTempDir('cli-capacity')
    const run = cli(['capacity', trace, '--backend', 'cs3', '--slo', 'tpot.p90<=0.5ms', '--min-user-speed', '2000', '--footprint', 'racks=4', '--workers', '2', '--out', out, '--json', ...shortWindow])
    expect(run.status).toBe(0)
    const report = JSON.parse(run.stdout)
    expect(report.file).toBe(join(out, 'capacity.json'))
    const r = report.results[0]
    for (const field of ['backend', 'rateScale', 'requestsPerS', 'outputTokensPerS', 'perFootprint', 'slo', 'precision', 'lastPassing', 'firstFailing']) {
      expect(r, field).toHaveProperty(field)
    }
    expect(r.backend).toBe('cs3')
    expect(r.slo).toEqual(['tpot.p90<=0.5ms', 'userSpeed.p10>=2000'])
    expect(r.precision).toBe(0.02)
    expect(Object.keys(r.perFootprint)).toEqual(['system', 'chip', 'rack', 'kW', 'usdPerHour'])
    const point = JSON.parse(readFileSync(join(out, r.lastPassing.file), 'utf8'))
    expect(point.trace.rateScale).toBe(r.rateScale)
    // Each point file says how its steady state was measured, and its command reproduces it.
    expect(point.steadyState).toMatchObject({minWindowS: 20, warmupS: 2, minDeliveredRatio: 0.95, sustained: true})
    expect(point.command).toEqual(expect.arrayContaining(['--steady-state', '--window', '20s', '--warmup-time', '2s', '--max-requests', '300000', '--min-delivered', '0.95']))
    expect(report.spec.steadyState).toEqual({minWindowS: 20, warmupS: 2, maxRequests: 300000, minDeliveredRatio: 0.95})
    for (const e of r.evaluations) {
      expect(e.offeredRequestsPerS).toBeGreaterThan(0)
      expect(e.passed ? e.reasons : e.reasons.length).toEqual(e.passed ? [] : expect.any(Number))
    }
    expect(run.stderr).toMatch(/capacity: \d+ done \(cs3 round 1\)/)
  })

  test('a capacity point file replays as its command says, to the same bytes', () => {
    const out = makeTempDir('cli-capacity-replay')
    expect(cli(['capacity', trace, '--backend', 'trn3-cs3', '--slo', 'ttft.p90<=2s', '--workers', '1', '--out', out, '--max-scale', '8', ...shortWindow]).status).toBe(0)
    const report = JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8'))
    const file = join(out, report.results[0].evaluations[0].file)
    const point = JSON.parse(readFileSync(file, 'utf8'))
    const again = join(out, 'again.json')
    const args = [...point.command, '--out', again]
    expect(cli(args).status).toBe(0)
    const replayed = JSON.parse(readFileSync(again, 'utf8'))
    expect(replayed.command).toEqual(args)
    expect({...replayed, command: null}).toEqual({...point, command: null})
  })

  test('capacity without --out writes under reports/capacity, a folder git ignores', () => {
    const cwd = makeTempDir('cli-capacity-default-out')
    const run = cli(['capacity', trace, '--backend', 'cs3', '--slo', 'tpot.p90<=0.5ms', '--workers', '1', '--max-scale', '4', ...shortWindow], {}, cwd)
    expect(run.status).toBe(0)
    expect(run.stdout).toContain(`wrote ${join('reports', 'capacity', 'capacity.json')}`)
    expect(existsSync(join(cwd, 'reports', 'capacity', 'capacity.json'))).toBe(true)
    // Both paths ignored: check-ignore prints each ignored path it was given (checked where the checkout is a git work tree).
    if (spawnSync('git', ['rev-parse', '--is-inside-work-tree'], {cwd: repoRoot}).status !== 0) return
    const ignored = spawnSync('git', ['check-ignore', 'reports/capacity/capacity.json', 'reports/capacity/cs3/capacity-x1.json'], {cwd: repoRoot, encoding: 'utf8'})
    expect(ignored.stdout.trim().split('\n')).toEqual(['reports/capacity/capacity.json', 'reports/capacity/cs3/capacity-x1.json'])
  })

  test('capacity prints a table with the capacity and per-footprint figures', () => {
    const run = cli(['capacity', trace, '--backend', 'cs3', '--slo', 'tpot.p90<=0.5ms', '--workers', '1', '--out', makeTempDir('cli-capacity-table'), ...shortWindow])
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/backend\s+model\s+capacity\s+req\/s\s+tok\/s\s+per rack\s+per kW/)
    expect(run.stdout).toMatch(/^cs3: x[\d.]+ \(.* req\/s, .* output tok\/s\); x[\d.]+ fails: tpot\.p90 was/m)
    expect(run.stdout).toMatch(/^steady state: each point repeats the trace to span a 2 s warm-up and a window of at least 20 s; it passes when .* at least 95% of the request rate offered$/m)
    expect(run.stdout).toMatch(/^cs3: at the capacity [\d.,]+ req\/s delivered of [\d.,]+ offered over a \d+ s window \(the trace repeated \d+ times?\)$/m)
  })

  test('a malformed SLO exits 2 with one line naming the expression and what was expected', () => {
    const run = cli(['capacity', trace, '--backend', 'cs3', '--slo', 'ttft.p90<2', '--out', makeTempDir('cli-bad-slo')])
    expect(run.status).toBe(2)
    expect(run.stderr.trim()).toBe('Error: invalid SLO "ttft.p90<2": missing time unit after 2; expected a time unit: us, ms, s or m (e.g. ttft.p90<2ms)')
    const sweep = cli(['sweep', trace, '--backend', 'cs3', '--rate-scale', '1', '--slo', 'latency<1s', '--out', makeTempDir('cli-bad-slo2')])
    expect(sweep.status).toBe(2)
    expect(sweep.stderr).toMatch(/^Error: invalid SLO "latency<1s": unknown metric "latency"; expected one of ttft\.<aggregation>/)
    expect(sweep.stderr).not.toMatch(/\n\s+at /)
  })

  test.each([
    [['sweep', trace, '--backend', 'cs3', '--rate-scale', '1', '--shard', '3/3', '--out', '/tmp/x'], /invalid --shard "3\/3": the shard index must be between 0 and 2/],
    [['sweep', trace, '--backend', 'cs3', '--out', '/tmp/x'], /give the load levels with --rate-scale/],
    [['sweep', trace, '--backend', 'cs3', '--rate-scale', '1,x', '--out', '/tmp/x'], /invalid --rate-scale "1,x": "x" is not a positive number/],
    [['capacity', trace, '--backend', 'cs3', '--out', '/tmp/x'], /needs at least one --slo or --min-user-speed/],
    [['capacity', trace, '--backend', 'cs3', '--slo', 'ttft.p90<=2s', '--footprint', 'racks=1', '--out', '/tmp/x'], /backend cs3 does not fit in --footprint racks=1/],
    [['sweep', '--merge-dir', join(fixtures, 'sweep-wrong-version'), '--out', '/tmp/x'], /schemaVersion 99 is not supported; this tracebench reads sweep index schemaVersion 1/],
    [['sweep', '--merge-dir', join(fixtures, 'not-a-sweep'), '--out', '/tmp/x'], /not a tracebench sweep index \(expected "schema": "tracebench.sweep"\)/],
  ])('refuses bad input: %j', (args, message) => {
    const run = cli(args)
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(message)
  })
})
