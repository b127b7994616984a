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
    expect([...byName.keys()].sort()).toEqual(['cs3', 'gpu-b200', 'gpu-h100', 'trn3-cs3'])
    expect(byName.get('trn3-cs3')!.pools.map((p) => p.name)).toEqual(['prefill', 'decode'])
    for (const b of json.backends) {
      for (const field of ['systems', 'chips', 'racks', 'kW']) expect(b.footprint[field], `${b.name}.${field}`).toBeGreaterThan(0)
      // Presets are sized to about the power of eight CS-3 systems (184 kW).
      expect(b.footprint.kW).toBeGreaterThan(170)
      expect(b.footprint.kW).toBeLessThan(200)
    }
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
