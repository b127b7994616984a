import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {decodeHistogram} from '../../src/metrics/histograms.js'
import {mergeResults} from '../../src/metrics/merge.js'
import {serializeResults} from '../../src/metrics/results-file.js'
import {createReplayPool, type ReplayPool} from '../../src/parallel/pool.js'
import type {ReplayOptions} from '../../src/replay/run-replay.js'
import {requireBuiltWorker, smallTrace} from './helpers.js'

const job = (overrides: Partial<ReplayOptions> = {}): ReplayOptions => ({trace: smallTrace, backend: 'cs3', rateScale: 1, seed: 1, slos: ['ttft.p90<=2s'], ...overrides})

describe('createReplayPool', () => {
  let pool: ReplayPool
  beforeAll(() => {
    requireBuiltWorker()
    pool = createReplayPool({workers: 2})
  })
  afterAll(async () => {
    await pool.close()
  })

  test('runs in worker threads and returns results in job order, whatever finishes first', async () => {
    expect(pool.inProcess).toBe(false)
    expect(pool.workers).toBe(2)
    // The first job is much longer than the others, so it most likely finishes last.
    const jobs = [job({trace: 'synth:chat?requests=5000&rate=5', rateScale: 3}), job({rateScale: 0.5}), job({rateScale: 1}), job({rateScale: 2})]
    const finished: number[] = []
    const results = await pool.run(jobs, (p) => finished.push(p.jobIndex))
    expect(results.map((r) => r.trace.rateScale)).toEqual([3, 0.5, 1, 2])
    expect(results[0]?.trace.requests).toBe(5000)
    expect([...finished].sort()).toEqual([0, 1, 2, 3])
  })

  test('a worker thread gives the same bytes as an in-process replay', async () => {
    const inProcess = createReplayPool({workers: 1})
    expect(inProcess.inProcess).toBe(true)
    const threadOnly = createReplayPool({workers: 1, callerReplays: false})
    try {
      expect(threadOnly.inProcess).toBe(false)
      const [a] = await inProcess.run([job({backend: 'trn3-cs3', rateScale: 2})])
      const [b] = await threadOnly.run([job({backend: 'trn3-cs3', rateScale: 2})])
      expect(serializeResults(b!)).toBe(serializeResults(a!))
    } finally {
      await threadOnly.close()
    }
  })

  test('by default, small work runs in the calling thread (no thread starts)', async () => {
    const auto = createReplayPool({cores: 4})
    try {
      const results = await auto.run([job(), job({rateScale: 2}), job({rateScale: 4})])
      expect(results.map((r) => r.trace.rateScale)).toEqual([1, 2, 4])
      expect(auto.inProcess).toBe(true)
      expect(auto.workers).toBe(1)
    } finally {
      await auto.close()
    }
  })

  test('overlapping runs share the pool and each gets its own results in order', async () => {
    const [first, second] = await Promise.all([pool.run([job({rateScale: 1}), job({rateScale: 2})]), pool.run([job({rateScale: 3}), job({backend: 'trn3-cs3'})])])
    expect(first.map((r) => r.trace.rateScale)).toEqual([1, 2])
    expect(second.map((r) => `${r.backend.name} x${r.trace.rateScale}`)).toEqual(['cs3 x3', 'trn3-cs3 x1'])
  })

  test('a user error in a worker comes back as a TracebenchError with its message', async () => {
    const error = await pool.run([job(), job({backend: 'no-such-backend'}), job()]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TracebenchError)
    expect((error as Error).message).toMatch(/unknown backend "no-such-backend"/)
    // The pool stays usable after a failed run.
    const [ok] = await pool.run([job()])
    expect(ok?.counters.requests).toBe(160)
  })

  test('the error reported is that of the lowest-numbered failing job', async () => {
    // Jobs 0 and 1 (one backend: they start in job order) start together on the two
    // threads; job 1 fails, so job 2 never starts.
    const error = await pool.run([job(), job({trace: '/nonexistent/a.jsonl'}), job({trace: '/nonexistent/b.jsonl'})]).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/a\.jsonl/)
  })

  test('merging two results files of one configuration from workers adds their histogram counts', async () => {
    const [a, b] = await pool.run([job({seed: 1}), job({seed: 2})])
    const merged = mergeResults([a!, b!])
    for (const key of ['ttft', 'tpot', 'itl', 'e2e', 'queue'] as const) {
      const ha = decodeHistogram(a!.metrics[key].histogram)
      const hb = decodeHistogram(b!.metrics[key].histogram)
      const hm = decodeHistogram(merged.metrics[key].histogram)
      expect(hm.totalCount, key).toBe(ha.totalCount + hb.totalCount)
      for (let i = 0; i < hm.countsArrayLength; i++) {
        const expected = (i < ha.countsArrayLength ? ha.getCountAtIndex(i) : 0) + (i < hb.countsArrayLength ? hb.getCountAtIndex(i) : 0)
        if (hm.getCountAtIndex(i) !== expected) throw new Error(`${key}: bucket ${i} holds ${hm.getCountAtIndex(i)}, expected ${expected}`)
      }
    }
    expect(merged.counters.requests).toBe(a!.counters.requests + b!.counters.requests)
    expect(merged.seeds).toEqual([1, 2])
  })

  test('rejects a worker count that is not a positive integer', () => {
    expect(() => createReplayPool({workers: 0})).toThrow(/--workers must be a whole number of at least 1, got 0/)
  })
})
