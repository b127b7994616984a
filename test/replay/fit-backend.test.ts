import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {loadBackendConfig} from '../../src/backends/load-backend.js'
import {writeResultsFile} from '../../src/metrics/results-file.js'
import {validateBackendConfig} from '../../src/backends/load-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {fitBackendToResults} from '../../src/replay/fit-backend.js'
import {runReplay} from '../../src/replay/run-replay.js'
import {smallBackendConfig} from '../serve/serve-fixture.js'

const trace = 'synth:chat?requests=300&rate=30&seed=5'

/** The test backend with its H100 constants scaled: what a wrong catalog would look like. */
export function perturbedBackend(factors: {memory: number; compute: number; overhead: number}) {
  const h100 = loadCatalog().hardware('h100-sxm')
  const raw = smallBackendConfig(1) as {pool: Record<string, unknown>}
  raw.pool.hardwareOverrides = {
    memoryEfficiency: {value: h100.memoryEfficiency.value * factors.memory, source: 'test: perturbed'},
    computeEfficiency: {bf16: {value: h100.computeEfficiency.bf16!.value * factors.compute, source: 'test: perturbed'}},
    layerOverheadUs: {value: h100.layerOverheadUs.value * factors.overhead, source: 'test: perturbed'},
  }
  return validateBackendConfig(raw, 'perturbed test backend')
}

describe('calibrate from a run (fitBackendToResults)', () => {
  it('recovers perturbed efficiency constants within 5% from a run of the true backend', async () => {
    const truth = validateBackendConfig(smallBackendConfig(1), 'true test backend')
    const measured = await runReplay({trace, backend: truth, seed: 1})
    const fit = await fitBackendToResults({results: measured, resultsPath: 'measured.json', backend: perturbedBackend({memory: 0.8, compute: 1.25, overhead: 1}), trace})
    const h100 = loadCatalog().hardware('h100-sxm')
    const expected: Record<string, number> = {
      memoryEfficiency: h100.memoryEfficiency.value,
      'computeEfficiency.bf16': h100.computeEfficiency.bf16!.value,
    }
    for (const p of fit.parameters) {
      expect(Math.abs(p.before / expected[p.field]! - 1), `${p.field} starts off`).toBeGreaterThan(0.15)
      expect(Math.abs(p.after / expected[p.field]! - 1), `${p.field}: fitted ${p.after}, true ${expected[p.field]}`).toBeLessThan(0.05)
    }
    expect(fit.mapeAfterPct).toBeLessThan(fit.mapeBeforePct / 5)
    const pool = fit.fitted.kind === 'aggregated' ? fit.fitted.pool : null
    expect(pool?.hardwareOverrides?.memoryEfficiency?.source).toMatch(/fitted: tracebench calibrate --results measured\.json/)
  }, 60_000)

  it('tracebench calibrate --results writes a backend file whose fitted constants name the results file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-fit-'))
    try {
      const measured = await runReplay({trace, backend: validateBackendConfig(smallBackendConfig(1), 'truth'), seed: 1})
      await writeResultsFile(join(dir, 'real.json'), measured)
      writeFileSync(join(dir, 'guess.yaml'), `# my backend\n${stringify(smallBackendConfig(1))}`)
      const root = join(import.meta.dirname, '..', '..')
      const run = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'calibrate', '--results', join(dir, 'real.json'), '--backend', join(dir, 'guess.yaml'), '--trace', trace, '--out', join(dir, 'fitted.yaml')], {encoding: 'utf8'})
      expect(run.status, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/MAPE over these points: [\d.]+% before, [\d.]+% after/)
      const text = readFileSync(join(dir, 'fitted.yaml'), 'utf8')
      expect(text).toContain('# my backend')
      const fitted = loadBackendConfig(join(dir, 'fitted.yaml'))
      expect(fitted.kind === 'aggregated' && fitted.pool.hardwareOverrides?.memoryEfficiency?.source).toMatch(/--results real\.json/)
      const same = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'calibrate', '--results', join(dir, 'real.json'), '--backend', join(dir, 'guess.yaml'), '--out', join(dir, 'guess.yaml')], {encoding: 'utf8'})
      expect(same.status).toBe(2)
      // Refused before the fit starts, as every output that names an input is.
      expect(same.stderr).toContain(`--out ${join(dir, 'guess.yaml')}: is the input ${join(dir, 'guess.yaml')}; writing it would destroy what the command reads`)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }, 60_000)
})
