import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {ExitCode} from '../../src/common/exit-codes.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const built = existsSync(join(root, 'dist/commands/predict.js'))
if (!built) console.warn('skipping CLI tests: dist/commands/predict.js not found (run npx tsc -p . first)')

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, encoding: 'utf8', env: {...process.env, TRACEBENCH_DEBUG: undefined}})
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('tracebench predict', () => {
  it('prints the decode step breakdown as JSON with the documented fields', () => {
    const {status, stdout} = run('predict', '--hardware', 'h200', '--model', 'llama-3.1-70b', '--precision', 'fp8', '--phase', 'decode', '--context', '1000', '--json')
    expect(status).toBe(0)
    const json = JSON.parse(stdout) as Record<string, unknown>
    for (const field of ['ms', 'bound', 'computeMs', 'memoryMs', 'latencyMs', 'overheadMs', 'tokensPerSPerUser', 'commMs']) expect(json).toHaveProperty(field)
    expect(json.model).toBe('llama-3.3-70b')
    expect(json.bound).toBe('memory')
    expect(json.tokensPerSPerUser as number).toBeGreaterThan(51.1 * 0.85)
    expect(json.tokensPerSPerUser as number).toBeLessThan(51.1 * 1.15)
  })

  it('prints a prefill breakdown for people, without tokensPerSPerUser in JSON', () => {
    const human = run('predict', '--hardware', 'trn3', '--model', 'llama-3.3-70b', '--precision', 'fp8', '--tp', '4', '--phase', 'prefill', '--tokens', '8192')
    expect(human.status).toBe(0)
    expect(human.stdout).toMatch(/step time .* compute-bound/)
    expect(human.stdout).toMatch(/communication/)
    const json = JSON.parse(run('predict', '--hardware', 'trn3', '--model', 'llama-3.3-70b', '--precision', 'fp8', '--tp', '4', '--phase', 'prefill', '--tokens', '8192', '--json').stdout) as Record<string, unknown>
    expect(json.bound).toBe('compute')
    expect(json).not.toHaveProperty('tokensPerSPerUser')
  })

  it('reports the latency bound and per-user speed on the CS-3', () => {
    const json = JSON.parse(run('predict', '--hardware', 'cs3', '--model', 'llama-3.1-405b', '--phase', 'decode', '--context', '2000', '--json').stdout) as Record<string, number | string>
    expect(json.bound).toBe('latency')
    expect(json.tokensPerSPerUser as number).toBeGreaterThan(969 * 0.85)
    expect(json.tokensPerSPerUser as number).toBeLessThan(969 * 1.15)
  })

  it('lists valid names for an unknown hardware name, without a stack trace', () => {
    const {status, stderr} = run('predict', '--hardware', 'h100', '--model', 'llama-3.1-8b', '--phase', 'decode', '--context', '100')
    expect(status).toBe(ExitCode.usage)
    expect(stderr).toMatch(/unknown hardware "h100"; valid hardware names: b200, cs3, gb200, groq3-lpx, h100-sxm, h200, rubin, trn2, trn3/)
    expect(stderr).not.toMatch(/at .*\.js:\d+/)
  })

  it('refuses a deployment that does not fit, with the missing memory and a hint', () => {
    const {status, stderr} = run('predict', '--hardware', 'h100-sxm', '--model', 'llama-3.3-70b', '--phase', 'decode', '--context', '100')
    expect(status).toBe(ExitCode.usage)
    expect(stderr).toMatch(/GB missing/)
    expect(stderr).toMatch(/Hint: use more tensor parallelism: --tp 2/)
  })

  it('requires --context for decode and --tokens for prefill', () => {
    expect(run('predict', '--hardware', 'h100-sxm', '--model', 'llama-3.1-8b', '--phase', 'decode').stderr).toMatch(/--context is required for --phase decode/)
    expect(run('predict', '--hardware', 'h100-sxm', '--model', 'llama-3.1-8b', '--phase', 'prefill').stderr).toMatch(/--tokens is required for --phase prefill/)
  })

  it('exits 104 naming file, entry and field for a bad catalog file', () => {
    const {status, stderr} = run('predict', '--hardware', 'h100-sxm', '--model', 'llama-3.1-8b', '--phase', 'decode', '--context', '100', '--catalog', 'test/fixtures/catalogs/wrong-type.yaml')
    expect(status).toBe(ExitCode.invalidConfig)
    expect(stderr).toMatch(/test\/fixtures\/catalogs\/wrong-type\.yaml: test-gpu: memoryBandwidthBytesPerS: expected a positive number, got "fast"/)
  })

  it('uses hardware from a user catalog file', () => {
    const {status, stdout} = run('predict', '--hardware', 'test-gpu', '--model', 'tiny', '--phase', 'decode', '--context', '100', '--catalog', 'test/fixtures/catalogs/valid-extra.yaml', '--json')
    expect(status).toBe(0)
    expect((JSON.parse(stdout) as {model: string}).model).toBe('tiny-dense')
  })
})

describe.skipIf(!built)('tracebench hardware list / models list', () => {
  it('lists hardware with sources in JSON', () => {
    const {status, stdout} = run('hardware', 'list', '--json')
    expect(status).toBe(0)
    const json = JSON.parse(stdout) as {hardware: Array<{name: string; memoryBandwidthBytesPerS: {value: number; source: string}}>}
    expect(json.hardware.map((entry) => entry.name)).toContain('cs3')
    expect(json.hardware.every((entry) => entry.memoryBandwidthBytesPerS.source.length > 0)).toBe(true)
    expect(run('hardware', 'list').stdout).toMatch(/h100-sxm\s+gpu\s+989/)
  })

  it('lists models with derived counts', () => {
    const json = JSON.parse(run('models', 'list', '--json').stdout) as {models: Array<{name: string; aliases: string[]; derived: {kvBytesPerToken: number}}>}
    const llama = json.models.find((model) => model.name === 'llama-3.3-70b')!
    expect(llama.aliases).toEqual(['llama-3.1-70b'])
    expect(llama.derived.kvBytesPerToken).toBe(327_680)
    expect(run('models', 'list').stdout).toMatch(/gpt-oss-120b .*SWA 128x18/)
  })
})

describe.skipIf(!built)('tracebench calibrate', () => {
  it('reports per-point errors and writes a fitted catalog file that loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-cli-calibrate-'))
    const profile = join(dir, 'h100-llama-3.1-8b.json')
    writeFileSync(
      profile,
      JSON.stringify({
        device: 'NVIDIA H100 80GB HBM3',
        prefill: [{tokens: 512, ms: 14.085}, {tokens: 4096, ms: 108.853}],
        decode: [{batch: 1, ctx: 1024, ms_graph: 6.704}, {batch: 64, ctx: 2048, ms_graph: 12.604}],
      }),
    )
    const output = join(dir, 'fitted.yaml')
    const {status, stdout} = run('calibrate', '--profile', profile, '--output', output, '--json')
    expect(status).toBe(0)
    const report = JSON.parse(stdout) as {hardware: string; model: string; points: unknown[]; summary: {fitted: {decodeMaxAbsErrorPct: number}}}
    expect(report.hardware).toBe('h100-sxm')
    expect(report.model).toBe('llama-3.1-8b')
    expect(report.points).toHaveLength(4)
    expect(report.summary.fitted.decodeMaxAbsErrorPct).toBeLessThan(15)
    const reuse = run('hardware', 'list', '--catalog', output, '--json')
    expect(reuse.status).toBe(0)
    const h100 = (JSON.parse(reuse.stdout) as {hardware: Array<{name: string; file: string; memoryEfficiency: {tag: string}}>}).hardware.find((entry) => entry.name === 'h100-sxm')!
    expect(h100.file).toBe(output)
    expect(h100.memoryEfficiency.tag).toBe('fit')
    expect(readFileSync(output, 'utf8')).toMatch(/^# Written by tracebench calibrate/)
  })
})
