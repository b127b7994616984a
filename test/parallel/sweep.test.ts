import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {SloParseError} from '../../src/metrics/slo.js'
import {createReplayPool, type ReplayPool} from '../../src/parallel/pool.js'
import {runSweep, type SweepOptions, type SweepResult} from '../../src/parallel/sweep.js'
import {readSweepIndex} from '../../src/parallel/sweep-index.js'
import {mergeSweepShards} from '../../src/parallel/sweep-merge.js'
import {hasMooncake, makeTempDir, removeTempDirs, mooncakeTrace, readTree, requireBuiltWorker, smallTrace} from './helpers.js'

const base = (outDir: string, overrides: Partial<SweepOptions> = {}): SweepOptions => ({
  trace: smallTrace,
  backends: ['gpu-h100', 'trn3-cs3'],
  rateScales: [0.5, 1, 2, 4],
  slos: ['ttft.p90<=2s', 'tpot.p90<=30ms'],
  seed: 3,
  outDir,
  argv: ['sweep'],
  ...overrides,
})

describe('runSweep', () => {
  const pools: Record<number, ReplayPool> = {}
  const runs: Record<string, SweepResult> = {}
  const dirs: Record<string, string> = {}

  beforeAll(async () => {
    requireBuiltWorker()
    pools[1] = createReplayPool({workers: 1})
    pools[2] = createReplayPool({workers: 2})
    pools[4] = createReplayPool({workers: 4})
    for (const workers of [1, 2, 4]) {
      dirs[`w${workers}`] = makeTempDir(`sweep-w${workers}`)
      runs[`w${workers}`] = await runSweep(base(dirs[`w${workers}`] as string, {pool: pools[workers]}))
    }
  })
  afterAll(async () => {
    for (const pool of Object.values(pools)) await pool.close()
    removeTempDirs()
  })

  test('writes one results file per point and an index naming them, backend-major', async () => {
    const run = runs.w1 as SweepResult
    const index = await readSweepIndex(join(dirs.w1 as string, 'index.json'))
    expect(index).toEqual(run.index)
    expect(index.pointCount).toBe(8)
    expect(index.shard).toBeNull()
    expect(index.points.map((p) => `${p.backend} x${p.rateScale}`)).toEqual([
      'gpu-h100 x0.5',
      'gpu-h100 x1',
      'gpu-h100 x2',
      'gpu-h100 x4',
      'trn3-cs3 x0.5',
      'trn3-cs3 x1',
      'trn3-cs3 x2',
      'trn3-cs3 x4',
    ])
    for (const point of index.points) {
      const results = JSON.parse(readFileSync(join(dirs.w1 as string, point.file), 'utf8'))
      expect(results.trace.rateScale).toBe(point.rateScale)
      expect(results.backend.name).toBe(point.backendName)
      // Each point records the single replay that reproduces it.
      expect(results.command).toEqual(expect.arrayContaining(['replay', '--backend', point.backend, '--rate-scale', String(point.rateScale)]))
      expect(point.summary.requestsPerS).toBe(results.counters.requestsPerS)
      expect(point.summary.ttftP90Ms).toBe(results.metrics.ttft.p90)
    }
    expect(run.table).toContain('TTFT p90 ms')
    expect(run.table).toContain('gpu-h100')
  })

  test('gives byte-identical files with 1, 2 and 4 workers', () => {
    const one = readTree(dirs.w1 as string)
    expect(Object.keys(one)).toHaveLength(9)
    expect(readTree(dirs.w2 as string)).toEqual(one)
    expect(readTree(dirs.w4 as string)).toEqual(one)
    expect(pools[2]?.inProcess).toBe(false)
    expect(pools[4]?.inProcess).toBe(false)
  })

  test('three shards, then merged, reproduce the unsharded sweep exactly', async () => {
    const shardDirs: string[] = []
    const covered: number[] = []
    for (let i = 0; i < 3; i++) {
      const dir = makeTempDir(`sweep-shard${i}`)
      shardDirs.push(dir)
      const part = await runSweep(base(dir, {pool: pools[2], shard: {index: i, count: 3}}))
      expect(existsSync(join(dir, `index.shard-${i}-of-3.json`))).toBe(true)
      for (const point of part.index.points) {
        expect(point.index % 3).toBe(i)
        covered.push(point.index)
      }
    }
    expect(covered.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    const out = makeTempDir('sweep-merged')
    const merged = await mergeSweepShards({inputs: [shardDirs[2] as string, shardDirs[0] as string, shardDirs[1] as string], outDir: out, argv: ['sweep', '--merge-dir']})
    const unsharded = runs.w1 as SweepResult
    expect(merged.index.spec).toEqual(unsharded.index.spec)
    expect(merged.index.points).toEqual(unsharded.index.points)
    expect(merged.index.shard).toBeNull()
    // Every point file is byte-identical; only the index's own command line differs.
    const isPoint = (path: string) => path !== 'index.json'
    expect(readTree(out, isPoint)).toEqual(readTree(dirs.w1 as string, isPoint))
    expect(merged.table).toBe(unsharded.table)
  })

  test('merging refuses a missing shard, a shard given twice and shards of different sweeps, naming the difference', async () => {
    const a = makeTempDir('sweep-a')
    const b = makeTempDir('sweep-b')
    const c = makeTempDir('sweep-c')
    const opts = {backends: ['cs3'], rateScales: [1, 2], pool: pools[2]}
    await runSweep(base(a, {...opts, shard: {index: 0, count: 2}}))
    await runSweep(base(b, {...opts, shard: {index: 1, count: 2}, seed: 4}))
    await runSweep(base(c, {...opts, shard: {index: 0, count: 2}}))
    const out = makeTempDir('sweep-bad')
    await expect(mergeSweepShards({inputs: [a], outDir: out})).rejects.toThrow(/missing shard 1\/2/)
    await expect(mergeSweepShards({inputs: [a, b], outDir: out})).rejects.toThrow(/spec\.seed differs .*: 3, .*: 4/)
    await expect(mergeSweepShards({inputs: [a, c], outDir: out})).rejects.toThrow(/shard 0\/2 is given twice/)
    await expect(mergeSweepShards({inputs: [join(a, 'index.json')], outDir: out})).rejects.toThrow(TracebenchError)
  })

  test('a malformed SLO is refused before any replay, naming the expression and what was expected', async () => {
    const out = makeTempDir('sweep-bad-slo')
    const error = await runSweep(base(out, {slos: ['ttft.p90<=2'], pool: pools[1]})).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SloParseError)
    expect((error as Error).message).toBe('invalid SLO "ttft.p90<=2": missing time unit after 2; expected a time unit: us, ms, s or m (e.g. ttft.p90<=2ms)')
    expect(existsSync(join(out, 'index.json'))).toBe(false)
  })

  test('unknown backends and missing traces fail before any replay', async () => {
    const out = makeTempDir('sweep-bad-input')
    await expect(runSweep(base(out, {backends: ['cs3', 'cs-9'], pool: pools[1]}))).rejects.toThrow(/unknown backend "cs-9"/)
    await expect(runSweep(base(out, {trace: join(out, 'missing.jsonl'), pool: pools[1]}))).rejects.toThrow(/missing\.jsonl: trace file not found/)
    await expect(runSweep(base(out, {backends: ['cs3', 'cs3'], pool: pools[1]}))).rejects.toThrow(/--backend cs3 is given twice/)
  })

  test('a sweep index with another schema version is refused with the version named', async () => {
    const dir = makeTempDir('sweep-version')
    const index = JSON.parse(readFileSync(join(dirs.w1 as string, 'index.json'), 'utf8'))
    index.schemaVersion = 2
    writeFileSync(join(dir, 'index.shard-0-of-1.json'), JSON.stringify(index))
    await expect(mergeSweepShards({inputs: [dir], outDir: dir})).rejects.toThrow(/schemaVersion 2 is not supported/)
  })

  test.skipIf(!hasMooncake)('runs on the Mooncake conversation trace with the same numbers on 1 and 2 workers', async () => {
    const opts = {trace: mooncakeTrace, limit: 400, backends: ['cs3', 'gpu-h100'], rateScales: [1, 4]}
    const one = makeTempDir('sweep-mooncake-1')
    const two = makeTempDir('sweep-mooncake-2')
    await runSweep(base(one, {...opts, pool: pools[1]}))
    await runSweep(base(two, {...opts, pool: pools[2]}))
    expect(readTree(two)).toEqual(readTree(one))
  })
  if (!hasMooncake) console.log('skipped the Mooncake sweep test: ../shared/traces/mooncake/conversation_trace.jsonl is not available')
})
