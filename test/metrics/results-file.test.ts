import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {metricDefinitions} from '../../src/metrics/definitions.js'
import {MetricsRecorder} from '../../src/metrics/recorder.js'
import {
  buildResultsFile,
  parseResultsText,
  readResultsFile,
  serializeResults,
  writeResultsFile,
} from '../../src/metrics/results-file.js'
import {formatResultsSummary} from '../../src/metrics/summary-table.js'
import {craftResults, defaultBackend, defaultTrace} from './craft-results.js'

const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'results')

async function readError(path: string): Promise<TracebenchError> {
  try {
    await readResultsFile(path)
  } catch (error) {
    expect(error).toBeInstanceOf(TracebenchError)
    return error as TracebenchError
  }
  throw new Error(`expected ${path} to be rejected`)
}

describe('results file', () => {
  test('the same inputs serialize to byte-identical files (no wall-clock fields)', () => {
    const a = serializeResults(craftResults({slos: ['ttft.p90<=2s'], seed: 5}))
    const b = serializeResults(craftResults({slos: ['ttft.p90<=2s'], seed: 5}))
    expect(a).toBe(b)
    expect(serializeResults(craftResults({seed: 6}))).not.toBe(serializeResults(craftResults({seed: 5})))
    expect(a.endsWith('}\n')).toBe(true)
    expect(a.split('\n')[1]).toBe('  "schema": "tracebench.results",')
    expect(a).not.toMatch(/"(timestamp|date|createdAt)"/i)
  })

  test('key order is stable whatever order the producer built objects in', () => {
    const results = craftResults({backend: {config: {z: 1, a: {y: 2, b: 3}}}})
    const shuffled = {...results, metrics: {...results.metrics}, backend: {...results.backend, config: {a: {b: 3, y: 2}, z: 1}}}
    // Reverse top-level key order.
    const reversed = Object.fromEntries(Object.entries(shuffled).reverse()) as typeof results
    expect(serializeResults(reversed)).toBe(serializeResults(results))
    expect(serializeResults(results)).toContain('"config": {\n      "a": {\n        "b": 3,\n        "y": 2\n      },\n      "z": 1\n    }')
  })

  test('every results file embeds the metric definitions and canonical, sorted SLOs', () => {
    const results = craftResults({slos: ['tpot.p90 <= 1ms', 'ttft.p90<=2s']})
    expect(results.definitions).toEqual(JSON.parse(JSON.stringify(metricDefinitions)))
    expect(results.slos).toEqual(['tpot.p90<=1ms', 'ttft.p90<=2000ms'])
    expect(results.definitions.ttft?.formula).toMatch(/firstTokenUs - arrivalUs/)
    expect(results.definitions['userSpeed']?.formula).toMatch(/tpot\.p\(100 - X\)/)
  })

  test('write is atomic and reads back equal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-results-'))
    const path = join(dir, 'nested', 'r.json')
    const results = craftResults({slos: ['ttft.p90<=2s'], kvTransferMs: 5})
    await writeResultsFile(path, results)
    expect(readdirSync(join(dir, 'nested'))).toEqual(['r.json'])
    const back = await readResultsFile(path)
    expect(serializeResults(back)).toBe(readFileSync(path, 'utf8'))
    expect(back).toEqual(JSON.parse(serializeResults(results)))
  })

  test('buildResultsFile accepts parsed SLOs or strings and validates the snapshot', () => {
    const snapshot = new MetricsRecorder().finish({startUs: 0, endUs: 0})
    const base = {command: ['replay'], seed: 1, trace: defaultTrace, backend: defaultBackend, snapshot}
    const results = buildResultsFile({...base, slos: ['goodput.ratio>=95%']})
    expect(results.slos).toEqual(['goodput.ratio>=0.95'])
    expect(results.tool.name).toBe('tracebench')
    expect(results.tool.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(() => buildResultsFile({...base, slos: ['nonsense']})).toThrow(/invalid SLO "nonsense"/)
    expect(() => buildResultsFile({...base, slos: [], trace: {...defaultTrace, rateScale: 0}})).toThrow(/trace\.rateScale/)
  })

  test('a field of the wrong type is named with the file', async () => {
    const e = await readError(join(fixtureDir, 'bad-field-type.json'))
    expect(e.message).toMatch(/bad-field-type\.json: invalid results file: metrics\.ttft\.p90: .*number/)
    expect(e.exitCode).toBe(2)
  })

  test('a missing field is named', async () => {
    const e = await readError(join(fixtureDir, 'bad-missing-field.json'))
    expect(e.message).toMatch(/bad-missing-field\.json: invalid results file: counters\.completed/)
  })

  test('a wrong schemaVersion gets a clear message', async () => {
    const e = await readError(join(fixtureDir, 'bad-wrong-version.json'))
    expect(e.message).toMatch(/bad-wrong-version\.json: schemaVersion 2 is not supported; this tracebench reads schemaVersion 1 \(the file was written by a newer tracebench\)/)
  })

  test('a JSON file that is not a results file says so', async () => {
    const e = await readError(join(fixtureDir, 'bad-not-results.json'))
    expect(e.message).toMatch(/bad-not-results\.json: not a tracebench results file \(expected "schema": "tracebench\.results"/)
  })

  test('invalid JSON, a missing file, a corrupt histogram', async () => {
    expect((await readError(join(fixtureDir, 'bad-invalid-json.json'))).message).toMatch(/bad-invalid-json\.json: not valid JSON/)
    expect((await readError(join(fixtureDir, 'does-not-exist.json'))).message).toMatch(/does-not-exist\.json: results file not found/)
    expect((await readError(join(fixtureDir, 'bad-histogram.json'))).message).toMatch(/bad-histogram\.json: metrics\.tpot\.histogram: not a valid HDR histogram/)
  })

  test('a count that disagrees with its histogram is refused', () => {
    const o = JSON.parse(serializeResults(craftResults())) as {metrics: {e2e: {count: number}}}
    o.metrics.e2e.count += 1
    expect(() => parseResultsText(JSON.stringify(o), 'edited.json')).toThrow(/edited\.json: metrics\.e2e\.count is 201 but its histogram holds 200 values/)
  })

  test('an unknown field is refused (typos do not pass silently)', () => {
    const o = JSON.parse(serializeResults(craftResults())) as {counters: Record<string, unknown>}
    o.counters.completd = 3
    expect(() => parseResultsText(JSON.stringify(o), 'typo.json')).toThrow(/typo\.json: invalid results file: counters: Unrecognized key: "completd"/)
  })
})

describe('formatResultsSummary', () => {
  test('shows counts, throughput, goodput and latency percentiles', () => {
    const text = formatResultsSummary(JSON.parse(readFileSync(join(fixtureDir, 'with-failures.json'), 'utf8')))
    expect(text).toContain('requests    200 (completed 180, failed 20: exceeds-kv-capacity: 20)')
    expect(text).toMatch(/goodput .*76\.5% of requests meet tpot\.p90<=15ms, ttft\.p90<=2000ms/)
    expect(text).toMatch(/TTFT +429\.1 +671\.7 +748\.0/)
    expect(text).toMatch(/per-user speed \(tok\/s\)/)
  })

  test('shows "no data" for nulls, never 0', () => {
    const text = formatResultsSummary(JSON.parse(readFileSync(join(fixtureDir, 'empty.json'), 'utf8')))
    expect(text).toMatch(/TTFT +no data +no data +no data +no data +0/)
    expect(text).toContain('throughput  no data tok/s, no data req/s')
    expect(text).toMatch(/decode +no data +no data +no data +no data/)
  })
})
