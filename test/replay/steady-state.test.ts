import {describe, expect, test} from 'vitest'
import {batchesFromIterable, type RecordBatches} from '../../src/replay/arrivals.js'
import {runReplay} from '../../src/replay/run-replay.js'
import {
  maxSteadyRateScale,
  measureTraceShape,
  planSteadyState,
  tileRecords,
  type SteadyStatePlan,
  type SteadyStateSettings,
  type TraceShape,
} from '../../src/replay/steady-state.js'
import {PrefixReuseCounter} from '../../src/traces/prefix-reuse-counter.js'
import {synthesizeTrace} from '../../src/traces/synthesize-trace.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'

const settings = (overrides: Partial<SteadyStateSettings> = {}): SteadyStateSettings => ({minWindowS: 60, warmupS: 10, maxRequests: 100_000, minDeliveredRatio: 0.95, ...overrides})

async function readAll(batches: RecordBatches): Promise<TraceRecord[]> {
  const out: TraceRecord[] = []
  for (;;) {
    const r = await batches.next()
    if (r.done === true) return out
    out.push(...r.value)
  }
}

function reuse(records: readonly TraceRecord[]): number {
  const counter = new PrefixReuseCounter()
  for (const r of records) counter.add(r.hashIds ?? [])
  return counter.repeated / counter.references
}

const agentic = [...synthesizeTrace({kind: 'agentic', seed: 3, requests: 120, turnsPerSession: 8})]
const shapeOf = (records: readonly TraceRecord[]) => measureTraceShape(batchesFromIterable(records))

describe('steady-state planning', () => {
  test('tiles until the arrivals span the warm-up plus the window, and the window ends at the last arrival', async () => {
    // Four arrivals 10 s apart: span 30 s, mean gap 10 s, period 40 s.
    const records: TraceRecord[] = [0, 10, 20, 30].map((s) => ({arrivalUs: s * 1e6, inputTokens: 10, outputTokens: 5}))
    const shape = await shapeOf(records)
    const planned = planSteadyState(shape, 2, settings())
    if (!('plan' in planned)) throw new Error(planned.tooShort)
    const plan = planned.plan
    // At x2 one tile spans 15 s of simulated time; 70 s are needed: ((T - 1) x 40 + 30) / 2 >= 70 -> T = 4.
    expect(plan.tiles).toBe(4)
    expect(plan.tilePeriodUs).toBe(40e6)
    expect(plan.windowStartUs).toBe(10e6)
    expect(plan.windowEndUs).toBe(((3 * 40 + 30) * 1e6) / 2)
    const tiled = await readAll(tileRecords(() => batchesFromIterable(records), plan, 2, undefined).batches)
    expect(tiled.map((r) => r.arrivalUs / 1e6)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150])
  })

  test('each tile gets new session names and prefix ids past the trace, so the tiled trace reuses prefixes exactly as the trace does', async () => {
    const shape = await shapeOf(agentic)
    expect(shape.sessions).toBeGreaterThan(5)
    expect(shape.maxHashId).toBeGreaterThan(0)
    const planned = planSteadyState(shape, 20, settings({warmupS: 0, minWindowS: (3 * (shape.lastArrivalUs - shape.firstArrivalUs)) / 1e6 / 20}))
    if (!('plan' in planned)) throw new Error(planned.tooShort)
    const plan: SteadyStatePlan = planned.plan
    expect(plan.tiles).toBeGreaterThanOrEqual(3)
    const tiled = await readAll(tileRecords(() => batchesFromIterable(agentic), plan, 20, undefined).batches)
    expect(tiled).toHaveLength(plan.tiles * agentic.length)
    const sessions = (k: number) => new Set(tiled.slice(k * agentic.length, (k + 1) * agentic.length).map((r) => r.sessionId))
    // Renamed per tile, every tile's names distinct from every other's.
    expect([...sessions(0)].every((id) => id!.startsWith('0:'))).toBe(true)
    expect([...sessions(1)].some((id) => sessions(0).has(id))).toBe(false)
    // Tile 1's ids are tile 0's plus the stride, and above every id of the trace.
    expect(plan.hashIdStride).toBe(shape.maxHashId + 1)
    expect(tiled[agentic.length]!.hashIds).toEqual(agentic[0]!.hashIds!.map((id) => id + plan.hashIdStride))
    expect(reuse(tiled)).toBeCloseTo(reuse(agentic), 12)
    // Reusing the ids instead would make nearly every block of later tiles a hit.
    const naive = Array.from({length: plan.tiles}, () => agentic).flat()
    expect(reuse(naive)).toBeGreaterThan(reuse(agentic) + 0.05)
  })

  test('--limit applies to every repetition of the trace', async () => {
    const shape = await measureTraceShape(tileRecords(() => batchesFromIterable(agentic), {tiles: 1, tilePeriodUs: 0, hashIdStride: 0, warmupUs: 0, windowStartUs: 0, windowEndUs: 0}, 1, 30).batches)
    expect(shape.records).toBe(30)
    const planned = planSteadyState(shape, 5, settings())
    if (!('plan' in planned)) throw new Error(planned.tooShort)
    const tiled = await readAll(tileRecords(() => batchesFromIterable(agentic), planned.plan, 5, 30).batches)
    expect(tiled).toHaveLength(30 * planned.plan.tiles)
  })

  test('says why a trace cannot be made long enough instead of planning it', async () => {
    const one = await shapeOf([{arrivalUs: 0, inputTokens: 1, outputTokens: 1}])
    expect(planSteadyState(one, 1, settings())).toEqual({tooShort: expect.stringMatching(/the trace has 1 request: a steady load needs at least two arrivals/)})
    expect(maxSteadyRateScale(one, settings())).toBeNull()
    const instant = await shapeOf([0, 0, 0].map(() => ({arrivalUs: 5, inputTokens: 1, outputTokens: 1})))
    expect(planSteadyState(instant, 1, settings())).toEqual({tooShort: expect.stringMatching(/arrive at the same instant/)})
    const shape: TraceShape = {records: 1000, firstArrivalUs: 0, lastArrivalUs: 100e6, maxHashId: -1, sessions: 0, sessionSpanP90Us: 0}
    const tooMany = planSteadyState(shape, 1000, settings({maxRequests: 50_000}))
    expect(tooMany).toEqual({tooShort: expect.stringMatching(/^at x1000 the trace .* would have to be repeated 700 times \(700,000 requests\) .* more than the 50,000 requests a point may replay$/)})
  })

  test('the highest measurable scale is on the search grid: its plan fits, the next grid step does not', async () => {
    const shape: TraceShape = {records: 1000, firstArrivalUs: 0, lastArrivalUs: 177e6, maxHashId: -1, sessions: 0, sessionSpanP90Us: 0}
    const s = settings({maxRequests: 123_456})
    const max = maxSteadyRateScale(shape, s) as number
    expect(Number(max.toPrecision(6))).toBe(max)
    expect('plan' in planSteadyState(shape, max, s)).toBe(true)
    expect('tooShort' in planSteadyState(shape, Number((max * 1.00002).toPrecision(6)), s)).toBe(true)
  })

  test('the automatic warm-up lasts at least 60 s, longer when the p90 session is longer', async () => {
    const shape = await shapeOf(agentic)
    const auto = planSteadyState(shape, 1, settings({warmupS: null}))
    if (!('plan' in auto)) throw new Error(auto.tooShort)
    expect(auto.plan.warmupUs).toBe(Math.max(60e6, shape.sessionSpanP90Us))
    expect(shape.sessionSpanP90Us).toBeGreaterThan(60e6)
  })
})

describe('steady-state replays', () => {
  const trace = 'synth:chat?requests=300&rate=5'
  const steady = settings({minWindowS: 40, warmupS: 5})

  test('a burst that drains within the SLO is not a sustained load', async () => {
    // At x100 the 300 requests arrive within 0.6 s: the plain replay measures a drain and passes its SLO.
    const burst = await runReplay({trace, backend: 'cs3', rateScale: 100, slos: ['ttft.p90<=5s']})
    expect(burst.metrics.ttft.p90!).toBeLessThan(5000)
    const r = await runReplay({trace, backend: 'cs3', rateScale: 100, slos: ['ttft.p90<=5s'], steadyState: steady})
    const s = r.steadyState!
    expect(s.tiles).toBeGreaterThan(20)
    expect(s.sustained).toBe(false)
    expect(s.deliveredRatio!).toBeLessThan(0.95)
    expect(s.deliveredRequestsPerS).toBeLessThan(s.offeredRequestsPerS * 0.95)
    expect(s.reason).toMatch(/^not sustained: delivered [\d.,]+ req\/s of the [\d.,]+ offered \([\d.]+%\) over the 4[\d.]+ s window; a sustained load delivers at least 95%/)
    // The throughput reported is what was delivered in the window, not what the scored requests eventually got.
    expect(r.counters.requestsPerS).toBeCloseTo(s.deliveredRequestsPerS, 2)
    // Not sustained at the window's end: the replay stops instead of draining the backlog, and says so.
    expect(s.stoppedAtWindowEnd).toBe(true)
    expect(s.unfinishedScored).toBeGreaterThan(0)
    expect(s.reason).toMatch(/stopped at the window's end: [\d,]+ scored requests were still in flight/)
  })

  test('a light load is sustained; warm-up and tail requests are not scored', async () => {
    const r = await runReplay({trace, backend: 'cs3', rateScale: 1, slos: ['ttft.p90<=5s'], steadyState: steady})
    const s = r.steadyState!
    expect(s.sustained).toBe(true)
    expect(s.reason).toBeNull()
    expect(s.deliveredRatio!).toBeGreaterThan(0.95)
    expect(s.excludedWarmup).toBeGreaterThan(0)
    expect(s.stoppedAtWindowEnd).toBe(false)
    // Scored + excluded = every request replayed.
    expect(r.counters.requests + s.excludedWarmup + s.excludedAfterWindow).toBe(s.tiledRequests)
    expect(r.window.startUs).toBeGreaterThanOrEqual(5e6)
    expect(r.window.durationS).toBeGreaterThanOrEqual(40)
    // The trace section still describes the trace as read, not its repetitions.
    expect(r.trace.requests).toBe(300)
  })

  test('is deterministic: the same options give the same bytes', async () => {
    const a = await runReplay({trace, backend: 'trn3-cs3', rateScale: 6, slos: ['ttft.p90<=2s'], steadyState: steady})
    const b = await runReplay({trace, backend: 'trn3-cs3', rateScale: 6, slos: ['ttft.p90<=2s'], steadyState: steady})
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
  })

  test('refuses a trace that cannot be made long enough, naming it', async () => {
    await expect(runReplay({trace, backend: 'cs3', rateScale: 500, steadyState: settings({maxRequests: 1000})})).rejects.toThrow(
      /^synth:chat\?requests=300&rate=5: cannot measure a steady state: at x500 the trace .* more than the 1,000 requests a point may replay$/,
    )
  })
})
