/**
 * The crafted results files under test/fixtures/results/ (reused by gate and report
 * tests) are generated here from test/metrics/craft-results.ts. This test fails when a
 * committed fixture no longer matches what the code produces, or no longer validates.
 * Regenerate with: UPDATE_FIXTURES=1 npx vitest run test/metrics/fixtures.test.ts
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {readResultsFile, serializeResults, type ResultsFile} from '../../src/metrics/results-file.js'
import {craftResults, defaultBackend} from './craft-results.js'

const dir = join(import.meta.dirname, '..', 'fixtures', 'results')
const slos = ['ttft.p90<=2s', 'tpot.p90<=15ms']

const valid: Record<string, () => ResultsFile> = {
  'baseline.json': () => craftResults({slos}),
  'tpot-plus-9pct.json': () => craftResults({slos, tpotFactor: 1.09}),
  'tpot-plus-11pct.json': () => craftResults({slos, tpotFactor: 1.11}),
  'breaks-ttft.json': () => craftResults({slos, ttftFactor: 2}),
  'seed-2.json': () => craftResults({slos, seed: 2}),
  'other-config.json': () =>
    craftResults({slos, backend: {config: {...(defaultBackend.config as object), decode: {hardware: 'cs3', systems: 8}}}}),
  'no-slos.json': () => craftResults({}),
  'with-failures.json': () => craftResults({slos, failEvery: 10}),
  'all-failed.json': () => craftResults({slos, failEvery: 1}),
  'empty.json': () => craftResults({slos, requests: 0}),
  'aggregated.json': () =>
    craftResults({
      slos,
      backend: {
        name: 'cs3',
        description: 'Aggregated CS-3 (crafted test fixture)',
        footprint: {systems: 4, chips: 4, racks: 2, kW: 92, usdPerHour: null},
        config: {pool: {hardware: 'cs3', systems: 4}},
      },
    }),
  'disaggregated.json': () => craftResults({slos, kvTransferMs: 12}),
}

function baselineObject(): Record<string, unknown> {
  return JSON.parse(serializeResults(craftResults({slos}))) as Record<string, unknown>
}

const bad: Record<string, () => string> = {
  'bad-invalid-json.json': () => '{"schema": "tracebench.results", "schemaVersion": 1,\n',
  'bad-not-results.json': () => `${JSON.stringify({name: 'tracebench', version: '0.1.0'}, null, 2)}\n`,
  'bad-wrong-version.json': () => `${JSON.stringify({...baselineObject(), schemaVersion: 2}, null, 2)}\n`,
  'bad-field-type.json': () => {
    const o = baselineObject() as {metrics: {ttft: Record<string, unknown>}}
    o.metrics.ttft.p90 = 'fast'
    return `${JSON.stringify(o, null, 2)}\n`
  },
  'bad-missing-field.json': () => {
    const o = baselineObject() as {counters: Record<string, unknown>}
    delete o.counters.completed
    return `${JSON.stringify(o, null, 2)}\n`
  },
  'bad-histogram.json': () => {
    const o = baselineObject() as {metrics: {tpot: Record<string, unknown>}}
    o.metrics.tpot.histogram = 'not-a-histogram'
    return `${JSON.stringify(o, null, 2)}\n`
  },
}

const update = process.env.UPDATE_FIXTURES === '1'
if (update) mkdirSync(dir, {recursive: true})

describe('results fixtures', () => {
  for (const [name, build] of Object.entries({...valid, ...bad})) {
    test(`${name} is up to date`, () => {
      const expected = name in valid ? serializeResults((build as () => ResultsFile)()) : (build as () => string)()
      const path = join(dir, name)
      if (update) writeFileSync(path, expected)
      expect(readFileSync(path, 'utf8')).toBe(expected)
    })
  }
  for (const name of Object.keys(valid)) {
    test(`${name} validates`, async () => {
      const results = await readResultsFile(join(dir, name))
      expect(results.schema).toBe('tracebench.results')
    })
  }
  for (const name of Object.keys(bad)) {
    test(`${name} is rejected`, async () => {
      await expect(readResultsFile(join(dir, name))).rejects.toThrow(name)
    })
  }
})
