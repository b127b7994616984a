/** `tracebench claims` through the real CLI (needs a build: `npx tsc -p .`). */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import type {ClaimsReport} from '../../src/claims/claims-report.js'

const root = join(import.meta.dirname, '..', '..')
const fixtures = join(root, 'test', 'fixtures', 'claims')
const built = existsSync(join(root, 'dist', 'commands', 'claims.js'))
if (!built) console.warn('skipping tracebench claims CLI tests: dist/ is not built (run `npx tsc -p .`)')

function run(args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'claims', ...args], {cwd: root, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('tracebench claims (CLI)', () => {
  const out = mkdtempSync(join(tmpdir(), 'tracebench-claims-cli-'))

  test('prints the table, writes claims.json, results files and the report; exit 0 when gate claims hold', () => {
    const dir = join(out, 'tiny')
    const r = run([join(fixtures, 'tiny.yaml'), '--out', dir, '--workers', '1'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/tokens-1-4x +coding +vs chat +1\.\d+x +>= 1\.4x +supported \[gate\]/)
    expect(r.stdout).toMatch(/tokens-1-4x +missing \(control\) .* inconclusive/)
    expect(r.stdout).toContain('tokens-1-4x on missing: inconclusive: missing: optional trace not found: ./not-here.csv')
    expect(r.stdout).toContain('gate passed (claims marked gate: true)')
    const report = JSON.parse(readFileSync(join(dir, 'claims.json'), 'utf8')) as ClaimsReport
    expect(report).toMatchObject({schema: 'tracebench.claims', schemaVersion: 1, passed: true, exitCode: 0})
    expect(report.claims.map((c) => c.id)).toEqual(['tokens-1-4x', 'decode-15x', 'e2e-faster'])
    const e2e = report.claims[2]!.rows[0]!
    expect(existsSync(join(dir, e2e.subject!.resultsFile!))).toBe(true)
    expect(existsSync(join(dir, e2e.baseline!.resultsFile!))).toBe(true)
    expect(existsSync(join(dir, 'index.html'))).toBe(true)
    // The e2e claim's replays are in the report as runs: latency curves, labelled workload: backend.
    const html = readFileSync(join(dir, 'index.html'), 'utf8')
    expect(html).toContain('<h2>Latency percentile curves')
    expect(html).toContain(`${e2e.workload}: ${e2e.subject!.label}`)
  })

  test('--json prints the same report (plus outputs) and nothing else', () => {
    const dir = join(out, 'json')
    const r = run([join(fixtures, 'tiny.yaml'), '--out', dir, '--workers', '1', '--json'])
    expect(r.code).toBe(0)
    const printed = JSON.parse(r.stdout) as ClaimsReport & {outputs: string[]}
    expect(printed.outputs).toEqual([join(dir, 'claims.json'), join(dir, 'index.html')])
    const {outputs: _, ...rest} = printed
    expect(rest).toEqual(JSON.parse(readFileSync(join(dir, 'claims.json'), 'utf8')))
  })

  test('exit 98 when a gate claim is not supported, and under --strict for any claim', () => {
    const file = join(out, 'gate.yaml')
    writeFileSync(
      file,
      readFileSync(join(fixtures, 'tiny.yaml'), 'utf8')
        .replaceAll('../../../traces/', `${join(root, 'traces')}/`)
        .replace('./not-here.csv', join(fixtures, 'not-here.csv'))
        .replace('expect: {ratio: 15}', 'expect: {ratio: 1000}'),
    )
    const plain = run([file, '--workers', '1'])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(/decode-15x +chat .* not supported\n/)
    const strict = run([file, '--workers', '1', '--strict'])
    expect(strict.code).toBe(98)
    expect(strict.stdout).toContain('gate FAILED: 1 result(s) of every claim (--strict) not supported (exit 98)')
    const gated = join(out, 'gated.yaml')
    writeFileSync(gated, readFileSync(file, 'utf8').replace('expect: {ratio: 1.4}', 'expect: {ratio: 40}'))
    expect(run([gated, '--workers', '1']).code).toBe(98)
  })

  test('an invalid claims file exits 104 naming the claim and the field, before any replay', () => {
    const r = run([join(fixtures, 'bad-unknown-backend.yaml')])
    expect(r.code).toBe(104)
    expect(r.stderr).toContain('bad-unknown-backend.yaml:13: claims[0] (decode-15x): baseline: unknown backend "gpu-h1000"')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stdout).toBe('')
  })

  // The heaviest test of the suite: every bundled claim. Its timeouts had causes besides
  // its size: the agentic fleet was parsed again at every capacity point (fixed by the
  // parsed-trace cache's bound), and vitest started it last on a first run (fixed by the
  // sequencer in vitest.config.ts). Its own limit leaves room for a machine shared with
  // other work; the suite's time is watched as a whole.
  test('the bundled claims file runs end to end on the worker pool', () => {
    const r = run(['--json', '--workers', '2'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as ClaimsReport
    expect(report.claimsFile).toMatch(/aws-cerebras\.yaml$/)
    const ids = report.claims.map((c) => c.id)
    for (const id of ['capacity-5x', 'order-of-magnitude-faster', 'decode-15x-llama-70b', 'coding-tokens-15x', 'gpt-oss-120b-3000-tok-s']) expect(ids).toContain(id)
    for (const claim of report.claims) for (const row of claim.rows) expect(['supported', 'not-supported', 'inconclusive']).toContain(row.verdict)
    const sweep = report.claims.find((c) => c.id === 'capacity-5x')!.sensitivity!
    expect(sweep.points.length).toBe(6)
    // Every point has a ratio, except where too many requests failed (the largest prompts exceed the presets' KV).
    for (const p of sweep.points) if (p.ratio === null) expect(p.reason).toContain('(maxFailedRatio)')
    expect(sweep.points.filter((p) => p.ratio !== null).length).toBeGreaterThanOrEqual(5)
    // Agentic rows run on backends sized for long contexts, and none of their requests fail.
    const fleet = report.claims.find((c) => c.id === 'capacity-5x')!.rows.find((r) => r.workload === 'agentic-fleet')!
    expect([fleet.subject?.label, fleet.baseline?.label]).toEqual(['trn3-cs3-long-context', 'cs3-long-context'])
    // The KV bandwidth sweep: from line rate down to vLLM's measured 4.3 GB/s, the subject only loses capacity.
    const kv = report.claims.find((c) => c.id === 'capacity-5x')!.kvBandwidthSensitivity!
    expect(kv.points.map((p) => p.fraction)).toEqual([0.95, 0.71, 0.1, 0.01075])
    expect(kv.points[1]!.ratio).toBeCloseTo(fleet.measured!, 12)
    for (let i = 1; i < kv.points.length; i++) expect(kv.points[i]!.subject ?? 0).toBeLessThanOrEqual(kv.points[i - 1]!.subject!)
    for (const claim of report.claims) {
      for (const row of claim.rows) {
        for (const side of [row.subject, row.baseline]) {
          const {failed, requests} = (side?.detail ?? {}) as {failed?: number; requests?: number}
          if (row.workload.startsWith('agentic') && failed !== undefined) expect(failed, `${claim.id} ${row.workload} ${side?.label}`).toBe(0)
          // The failure rule: a side with more than 1% failed requests never gets a verdict.
          if (failed !== undefined && requests !== undefined && failed / requests > 0.01) expect(row.verdict).toBe('inconclusive')
        }
      }
    }
    // The whole bundled file, as `npm start` runs it: about 42 s of CPU (steady-state capacity
    // searches), so well over the 60 s default on a busy two-core machine.
  }, 300_000)
})
