import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const built = existsSync(join(root, 'dist/commands/backends/list.js'))
if (!built) console.warn('skipping backends CLI tests: dist/commands/backends/list.js not found (run npx tsc -p . first)')

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, encoding: 'utf8', env: {...process.env, TRACEBENCH_DEBUG: undefined}})
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('tracebench backends list', () => {
  it('shows every preset with its footprint, as a table and as JSON', () => {
    const human = run('backends', 'list')
    expect(human.status).toBe(0)
    for (const name of ['gpu-h100', 'gpu-b200', 'cs3', 'trn3-cs3']) expect(human.stdout).toContain(name)
    const json = JSON.parse(run('backends', 'list', '--json').stdout) as {backends: Array<{name: string; pools: Array<{name: string}>; footprint: Record<string, number>}>}
    const byName = new Map(json.backends.map((b) => [b.name, b]))
    expect([...byName.keys()].sort()).toEqual(['cs3', 'gpu-b200', 'gpu-b200-disagg', 'gpu-gb200-disagg', 'gpu-h100', 'rubin-lpx-whatif', 'trn3-cs3'])
    expect(byName.get('trn3-cs3')!.pools.map((p) => p.name)).toEqual(['prefill', 'decode'])
    for (const b of json.backends) for (const field of ['systems', 'chips', 'racks', 'kW']) expect(b.footprint[field], `${b.name}.${field}`).toBeGreaterThan(0)
    // The four original presets are sized to about the power of eight CS-3 systems (184 kW), as is the B200 baseline.
    for (const name of ['cs3', 'gpu-b200', 'gpu-h100', 'trn3-cs3', 'gpu-b200-disagg']) {
      expect(byName.get(name)!.footprint.kW, name).toBeGreaterThan(170)
      expect(byName.get(name)!.footprint.kW, name).toBeLessThan(200)
    }
    // The skeptic's baselines count every GPU of both phases: one NVL72 rack is 72 GPUs.
    expect(byName.get('gpu-gb200-disagg')!.footprint.chips).toBe(72)
    expect(byName.get('gpu-b200-disagg')!.footprint.chips).toBe(120)
    expect(human.stdout).toMatch(/rubin-lpx-whatif: WHAT-IF \(announced, not shipping\)/)
    expect(byName.get('cs3')!.footprint.systems).toBe(8)
  })
})

describe.skipIf(!built)('tracebench backends list with a user file', () => {
  it('describes a backend file and applies --model', () => {
    const {status, stdout} = run('backends', 'list', '--backend', join(root, 'test/fixtures/backends/small-h100.yaml'), '--json')
    expect(status).toBe(0)
    const json = JSON.parse(stdout) as {backends: Array<{name: string; model: string; footprint: {chips: number; systems: number}}>}
    expect(json.backends).toHaveLength(1)
    expect(json.backends[0]!.name).toBe('small-h100')
    expect(json.backends[0]!.footprint.chips).toBe(2)
    expect(json.backends[0]!.footprint.systems).toBe(1)
  })

  it('rejects a bad backend file with the invalid-config exit code', () => {
    const {status, stderr} = run('backends', 'list', '--backend', join(root, 'test/fixtures/backends/zero-replicas.yaml'))
    expect(status).toBe(104)
    expect(stderr).toMatch(/zero-replicas\.yaml: pool\.replicas: expected a positive integer, got 0/)
  })
})
