/**
 * Loading report inputs from files and folders: results files, sweep folders (index.json
 * and the results it names), claims.json, capacity.json and folders of results files;
 * every bad input refused with a message naming the file (and field).
 */
import {mkdtemp, mkdir, rm, writeFile, copyFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {serializeResults} from '../../src/metrics/results-file.js'
import {capacitySchemaId, capacitySchemaVersion} from '../../src/parallel/capacity-report.js'
import {copyFootprint, summarizePoint} from '../../src/parallel/point-summary.js'
import {buildSweepIndex, writeSweepIndex} from '../../src/parallel/sweep-index.js'
import {collectReportInputs} from '../../src/report/collect-inputs.js'
import {prepareRuns} from '../../src/report/prepare-runs.js'
import {buildThroughputLoadSection} from '../../src/report/sections/load.js'
import {craftSweepPoints} from './report-fixtures.js'

let dir: string

/** Writes a sweep folder as `tracebench sweep --out` does: DIR/<backend>/x<scale>.json and DIR/index.json. */
async function writeSweepFolder(out: string): Promise<void> {
  const points = craftSweepPoints('trn3-cs3')
  const indexPoints = []
  for (const [i, p] of points.entries()) {
    const file = `trn3-cs3/x${p.results.trace.rateScale}.json`
    await mkdir(join(out, 'trn3-cs3'), {recursive: true})
    await writeFile(join(out, file), serializeResults(p.results))
    indexPoints.push({
      index: i,
      backend: 'trn3-cs3',
      backendName: p.results.backend.name,
      model: p.results.backend.model,
      rateScale: p.results.trace.rateScale,
      file,
      footprint: copyFootprint(p.results.backend.footprint),
      summary: summarizePoint(p.results),
    })
  }
  const index = buildSweepIndex({
    command: ['sweep', 'traces/crafted.jsonl', '--backend', 'trn3-cs3', '--out', out],
    spec: {trace: 'traces/crafted.jsonl', backends: ['trn3-cs3'], rateScales: points.map((p) => p.results.trace.rateScale), model: null, seed: 7, limit: null, slos: points[0]?.results.slos ?? [], footprint: null},
    shard: null,
    points: indexPoints,
  })
  await writeSweepIndex(join(out, 'index.json'), index)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tracebench-report-inputs-'))
  await writeSweepFolder(join(dir, 'sweep'))
  await mkdir(join(dir, 'claims-out'))
  await copyFile('test/fixtures/report/claims.json', join(dir, 'claims-out', 'claims.json'))
  await mkdir(join(dir, 'runs'))
  await copyFile('test/fixtures/results/baseline.json', join(dir, 'runs', 'a.json'))
  await copyFile('test/fixtures/results/aggregated.json', join(dir, 'runs', 'b.json'))
  await writeFile(join(dir, 'runs', 'notes.json'), '{"not": "tracebench"}\n')
  await mkdir(join(dir, 'empty'))
  await writeFile(
    join(dir, 'capacity.json'),
    JSON.stringify({
      schema: capacitySchemaId,
      schemaVersion: capacitySchemaVersion,
      tool: {name: 'tracebench', version: '0.1.0'},
      command: ['capacity'],
      spec: {trace: 't', backends: ['trn3-cs3'], model: null, seed: 1, limit: null, slo: [], minUserSpeed: null, precision: 0.02, footprint: null, search: {startScale: 1, minScale: 0.01, maxScale: 100, pointsPerRound: 4}},
      shard: null,
      results: [
        {backend: 'trn3-cs3', backendSpec: 'trn3-cs3', status: 'found', rateScale: 1.5, lowerBound: false, outputTokensPerS: 2000, slo: ['ttft.p90<=2000ms']},
        {backend: 'gpu-h100', backendSpec: 'gpu-h100', status: 'not-reachable', rateScale: 0, lowerBound: false, outputTokensPerS: 0, slo: []},
      ],
    }),
  )
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('collectReportInputs', () => {
  it('loads a sweep folder through its index, a claims folder, a folder of results and a capacity file', async () => {
    const {inputs, sources} = await collectReportInputs([join(dir, 'sweep'), join(dir, 'claims-out'), join(dir, 'runs'), join(dir, 'capacity.json')], {title: 'T', command: ['report']})
    expect(sources.map((s) => [s.kind, s.resultsFiles])).toEqual([
      ['sweep', 4],
      ['claims', 0],
      ['results', 1],
      ['results', 1],
      ['capacity', 0],
    ])
    expect(inputs.title).toBe('T')
    expect(inputs.sweeps?.[0]?.points.map((p) => p.results.trace.rateScale)).toEqual([0.5, 1, 2, 4])
    expect(inputs.sweeps?.[0]?.index?.command[0]).toBe('sweep')
    expect(inputs.claims?.report.claims.map((c) => c.id)).toEqual(['capacity-5x', 'decode-15x', 'agentic-tokens-15x', 'decode-3000'])
    expect(inputs.runs?.map((r) => r.results.backend.name)).toEqual(['trn3-cs3', 'cs3'])
    // Every search is described (an older file without per-point fields too); a not-reachable one has no capacity to mark.
    expect(inputs.capacity?.map((c) => [c.backend, c.status, c.rateScale, c.outputTokensPerS, c.evaluations])).toEqual([
      ['trn3-cs3', 'found', 1.5, 2000, []],
      ['gpu-h100', 'not-reachable', 0, 0, []],
    ])
    // The capacity search's mark replaces the swept estimate on the load chart.
    const section = buildThroughputLoadSection(prepareRuns(inputs), inputs.capacity ?? [])
    expect(section.notes?.[0]).toBe('trn3-cs3: capacity 15.00 req/s (2,000 tok/s)')
  })

  it('accepts the index.json and results files directly', async () => {
    const {sources} = await collectReportInputs([join(dir, 'sweep', 'index.json'), 'test/fixtures/results/baseline.json', 'test/fixtures/report/claims.json'])
    expect(sources.map((s) => s.kind)).toEqual(['sweep', 'results', 'claims'])
  })

  const refused: Array<[string, () => string[], RegExp]> = [
    ['a missing path', () => [join(dir, 'nope.json')], /nope\.json: no such file or folder/],
    ['a folder with nothing to report', () => [join(dir, 'empty')], /empty: no results files, index\.json, claims\.json or capacity\.json in this folder/],
    ['JSON that is not from tracebench', () => ['test/fixtures/report/not-tracebench.json'], /not-tracebench\.json: not a tracebench results file, sweep index, claims\.json or capacity\.json/],
    ['invalid JSON', () => ['test/fixtures/results/bad-invalid-json.json'], /bad-invalid-json\.json: not valid JSON/],
    ['an invalid results file', () => ['test/fixtures/results/bad-field-type.json'], /bad-field-type\.json: invalid results file: metrics\.ttft\.p90/],
    ['a claims.json missing a field', () => ['test/fixtures/report/bad-claims-missing-field.json'], /bad-claims-missing-field\.json: invalid claims\.json: claims\[1\]\.rows\[0\]\.verdict/],
    ['a claims.json of another version', () => ['test/fixtures/report/bad-claims-version.json'], /bad-claims-version\.json: claims\.json schemaVersion 2 is not supported/],
    ['two claims files', () => ['test/fixtures/report/claims.json', join(dir, 'claims-out')], /a report shows one claims\.json/],
    ['no inputs', () => [], /at least one results file/],
  ]
  for (const [what, paths, message] of refused) {
    it(`refuses ${what}`, async () => {
      await expect(collectReportInputs(paths())).rejects.toThrow(message)
    })
  }
})
