import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {ExitCode} from '../../src/common/exit-codes.js'
import {readResultsFile} from '../../src/metrics/results-file.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const built = existsSync(join(root, 'dist/commands/replay.js'))
if (!built) console.warn('skipping replay CLI tests: dist/commands/replay.js not found (run npx tsc -p . first)')
const fixtures = join(root, 'test/fixtures/backends')
const out = mkdtempSync(join(tmpdir(), 'tracebench-replay-cli-'))

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, encoding: 'utf8', env: {...process.env, TRACEBENCH_DEBUG: undefined}})
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('tracebench replay', () => {
  it('prints a summary table and writes a valid results file and a per-request CSV', async () => {
    const file = join(out, 'chat.json')
    const csv = join(out, 'chat.csv')
    const {status, stdout, stderr} = run('replay', 'synth:chat?requests=300', '--backend', 'trn3-cs3', '--slo', 'ttft.p90<=2s', '--out', file, '--requests-out', csv)
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(stdout).toMatch(/trn3-cs3 \(llama-3\.3-70b\) on synth:chat\?requests=300/)
    expect(stdout).toMatch(/TTFT/)
    expect(stdout).toMatch(/KV transfer/)
    const results = await readResultsFile(file)
    expect(results.counters.requests).toBe(300)
    expect(results.command).toEqual(['replay', 'synth:chat?requests=300', '--backend', 'trn3-cs3', '--slo', 'ttft.p90<=2s', '--out', file, '--requests-out', csv])
    expect(results.backend.footprint.kW).toBeGreaterThan(0)
    const lines = readFileSync(csv, 'utf8').trim().split('\n')
    expect(lines[0]).toMatch(/^index,status,reason,arrivalUs/)
    expect(lines).toHaveLength(301)
  })

  it('returns the results as JSON with --json', () => {
    const file = join(out, 'json.json')
    const {status, stdout} = run('replay', join(fixtures, 'one-request.jsonl'), '--backend', join(fixtures, 'small-h100.yaml'), '--out', file, '--json')
    expect(status).toBe(0)
    const json = JSON.parse(stdout) as {out: string; results: {backend: {name: string; model: string}; counters: {completed: number}}}
    expect(json.out).toBe(file)
    expect(json.results.backend.name).toBe('small-h100')
    expect(json.results.backend.model).toBe('llama-3.1-8b')
    expect(json.results.counters.completed).toBe(1)
  })

  it('refuses a rate scale of 0 or a negative one with a clear message', () => {
    for (const scale of ['0', '-2', 'fast']) {
      const {status, stderr, stdout} = run('replay', 'synth:chat?requests=10', '--backend', 'cs3', '--rate-scale', scale, '--out', join(out, 'x.json'))
      expect(status).toBe(ExitCode.usage)
      expect(stderr).toMatch(/--rate-scale: expected a positive number/)
      expect(stderr).not.toMatch(/at .*\.js:\d+/)
      expect(stdout).toBe('')
    }
  })

  it('names the file and field of an unknown backend field (invalid config exit code)', () => {
    const {status, stderr} = run('replay', 'synth:chat?requests=10', '--backend', join(fixtures, 'unknown-field.yaml'), '--out', join(out, 'x.json'))
    expect(status).toBe(ExitCode.invalidConfig)
    expect(stderr).toMatch(/unknown-field\.yaml: pool\.scheduler\.maxBatch: unknown field/)
  })

  it('says when a model does not fit the backend', () => {
    const {status, stderr} = run('replay', 'synth:chat?requests=10', '--backend', 'gpu-h100', '--model', 'llama-3.1-405b', '--out', join(out, 'x.json'))
    expect(status).not.toBe(0)
    expect(stderr).toMatch(/llama-3\.1-405b .*does not fit/)
    expect(stderr).toMatch(/missing/)
    // The hint names the backend-file field to change, not a flag replay does not have.
    expect(stderr).toContain('tp: 8 (under "pool:" in a backend file)')
    expect(stderr).not.toContain('--tp')
  })

  it('lists the presets when the backend name is unknown', () => {
    const {status, stderr} = run('replay', 'synth:chat?requests=10', '--backend', 'tpu', '--out', join(out, 'x.json'))
    expect(status).toBe(ExitCode.usage)
    expect(stderr).toMatch(/unknown backend "tpu"; valid backend names: cs3, gpu-b200, gpu-b200-disagg, gpu-gb200-disagg, gpu-h100, rubin-lpx-whatif, trn3-cs3/)
  })

  it('says what it did with the trace rows, as trace inspect does, and records it in the results file', async () => {
    const traces = join(root, 'test/fixtures/traces')
    const skipped = join(out, 'skipped.json')
    const r = run('replay', join(traces, 'bad-negative-tokens.csv'), '--backend', 'cs3', '--skip-invalid', '--out', skipped)
    expect(r.status).toBe(0)
    expect(r.stderr).toContain(`Warning: ${join(traces, 'bad-negative-tokens.csv')}: skipped 1 invalid row(s) (--skip-invalid):`)
    const results = await readResultsFile(skipped)
    expect(results.trace.read).toMatchObject({rowsRead: 2, rowsSkipped: 1, settings: {skipInvalid: true, strict: false}, complete: true})
    expect(results.trace.sha256).toBe(createHash('sha256').update(readFileSync(join(traces, 'bad-negative-tokens.csv'))).digest('hex'))

    const sorted = run('replay', join(traces, 'out-of-order.csv'), '--backend', 'cs3', '--out', join(out, 'sorted.json'))
    expect(sorted.stderr).toContain('1 row(s) were out of time order and have been sorted (--strict rejects them)')
    const strict = run('replay', join(traces, 'out-of-order.csv'), '--backend', 'cs3', '--strict', '--out', join(out, 'strict.json'))
    expect(strict.status).toBe(ExitCode.usage)
    expect(strict.stderr).toContain('out-of-order.csv:4: TIMESTAMP: expected a time at or after')

    const failed = join(out, 'failed.json')
    expect(run('replay', join(traces, 'burstgpt-6col.csv'), '--backend', 'cs3', '--include-failed', '--out', failed).status).toBe(0)
    const kept = await readResultsFile(failed)
    expect(kept.trace.read).toMatchObject({failedRowsIncluded: 2, failedRowsExcluded: 0, settings: {includeFailed: true}})
    // The failed row with an empty prompt fails again; the one with a prompt and no output completes.
    expect(kept.counters).toMatchObject({requests: 7, completed: 6, failed: 1, failureReasons: {'empty-prompt': 1}})
  })
})
