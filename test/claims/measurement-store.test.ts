import {existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import type {CapacityRequest, ReplayRequest} from '../../src/claims/claims-engine.js'
import {MeasurementStore} from '../../src/claims/measurement-store.js'
import type {ResultsFile} from '../../src/metrics/results-file.js'
import {createFakeEngine} from './fake-engine.js'

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'results', 'baseline.json'), 'utf8')) as ResultsFile
const replay: ReplayRequest = {trace: 'synth:chat?requests=10&seed=1', limit: null, backend: 'cs3', model: 'llama-3.3-70b', rateScale: 1, seed: 1, slos: []}
const capacity: CapacityRequest = {trace: 'synth:chat?requests=10&seed=1', limit: null, backend: 'cs3', model: 'llama-3.3-70b', slos: ['ttft.p90<=2s'], minUserSpeed: null, footprintMatch: null, precision: 0.05, seed: 1}

describe('claims keep finished measurements', () => {
  test('measurements are kept as they finish; a resumed run answers them from disk, verified, without measuring again', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tracebench-measurements-'))
    const first = createFakeEngine({replay: () => fixture, capacity: () => ({outputTokensPerS: 1234, results: fixture})})
    const store = await MeasurementStore.open(out, 'claims.yaml', 'refuse')
    const engine = store.wrap(first)
    await engine.replay(replay)
    await engine.capacity(capacity)
    expect(store.size).toBe(2)
    const index = JSON.parse(readFileSync(join(out, 'claims.partial.json'), 'utf8'))
    expect(index.files).toHaveLength(2)
    expect(readdirSync(join(out, 'measurements')).filter((name) => name.endsWith('.tmp'))).toEqual([])

    // The folder holds an interrupted run: refused by default.
    await expect(MeasurementStore.open(out, 'claims.yaml', 'refuse')).rejects.toThrow(`${join(out, 'claims.partial.json')} already holds an interrupted claims run; --resume`)

    const second = createFakeEngine({})
    const resumed = (await MeasurementStore.open(out, 'claims.yaml', 'resume')).wrap(second)
    expect(await resumed.replay(replay)).toEqual(fixture)
    expect((await resumed.capacity(capacity)).outputTokensPerS).toBe(1234)
    expect(second.calls.replay).toHaveLength(0)
    expect(second.calls.capacity).toHaveLength(0)
    // Another request is measured.
    await expect(resumed.replay({...replay, rateScale: 2})).rejects.toThrow('fake engine: no replay')

    // An altered measurement is not trusted: it is measured again.
    const replayFile = index.files.find((f: string) => f.includes('replay-'))
    const stored = JSON.parse(readFileSync(join(out, replayFile), 'utf8'))
    stored.measurement.metrics.ttft.p99 = 1
    writeFileSync(join(out, replayFile), JSON.stringify(stored))
    const third = createFakeEngine({replay: () => fixture})
    await (await MeasurementStore.open(out, 'claims.yaml', 'resume')).wrap(third).replay(replay)
    expect(third.calls.replay).toHaveLength(1)

    // --overwrite removes what the old run listed.
    await MeasurementStore.open(out, 'claims.yaml', 'overwrite')
    expect(existsSync(join(out, 'claims.partial.json'))).toBe(false)
    expect(existsSync(join(out, index.files[1]))).toBe(false)
  })
})
