import {TracebenchError} from '../common/errors.js'
import type {WindowTotals} from '../metrics/recorder.js'
import type {SteadyStateRecord} from '../metrics/results-file.js'
import type {TraceRecord} from '../traces/trace-record.js'
import type {RecordBatches} from './arrivals.js'

/**
 * Steady-state measurement: what makes a capacity point a load the system sustains rather
 * than a burst draining. Rate scaling compresses a trace's arrivals; at a high scale a
 * trace of a thousand requests arrives within a second, and a backend with many replicas
 * absorbs it without its latency ever growing. So a steady-state replay:
 *
 * 1. tiles the trace (repeats it, tile k shifted by k trace periods, the period being the
 *    trace's span plus its mean gap) until the arrivals span at least the warm-up plus
 *    the minimum window of simulated time;
 * 2. scores only the requests that arrive inside the window, which starts after the
 *    warm-up and ends at the last scheduled arrival (warm-up requests and the tail after
 *    the arrivals end are not scored);
 * 3. compares the request rate the backend delivered during the window (completions in
 *    it, whichever request they belong to) with the rate the trace offered (scheduled
 *    arrivals in it): the load is sustained when delivered >= 95% of offered.
 *
 * What a tile means: more users doing the same kind of work, not the same users sending
 * the same prompts again. So each tile's sessions are new sessions (ids prefixed with the
 * tile number), and each tile's prefix hash ids are shifted past every id of the trace
 * (tile k adds k x (largest id + 1)): a tile reuses prefixes exactly as the trace does
 * within itself, never the blocks of another tile, so the prefix-reuse ratio of the tiled
 * trace is the trace's own. Reusing the ids would turn every repeated prompt into a cache
 * hit, which would inflate the capacity with reuse the trace does not have.
 */
export interface SteadyStateSettings {
  /** Shortest scored window, in simulated seconds. */
  minWindowS: number
  /** Warm-up before the window, in simulated seconds; null: max(60 s, the trace's p90 session length). */
  warmupS: number | null
  /** Most requests one replay may hold after tiling; above it, the trace cannot be made long enough at that load. */
  maxRequests: number
  /** A load is sustained when the delivered request rate is at least this share of the offered rate. */
  minDeliveredRatio: number
}

export const defaultSteadyStateSettings: SteadyStateSettings = {
  minWindowS: 120,
  warmupS: null,
  maxRequests: 300_000,
  minDeliveredRatio: 0.95,
}

/** The least automatic warm-up (simulated seconds): queues, batches and caches fill within it on open-loop traces. */
export const minAutoWarmupS = 60

/** What planning needs to know about a trace (after --limit): one pass over its records. */
export interface TraceShape {
  records: number
  firstArrivalUs: number
  lastArrivalUs: number
  /** Largest prefix hash id, or -1 when no record has any. */
  maxHashId: number
  sessions: number
  /**
   * 90th percentile of session lengths (first to last arrival of a session, trace µs), 0
   * without sessions. Closed-loop sessions run about this long whatever the rate scale
   * (think times are not scaled), so the automatic warm-up lasts at least this long: by
   * then the number of sessions in flight has reached its steady level.
   */
  sessionSpanP90Us: number
}

export interface SteadyStatePlan {
  tiles: number
  /** Trace µs from one tile's start to the next: the trace's span plus its mean gap. */
  tilePeriodUs: number
  /** Added to every prefix hash id once per tile (largest id + 1; 0 without hash ids). */
  hashIdStride: number
  warmupUs: number
  /** The scored window, whole simulated µs (arrival and completion times in it count; both ends included). */
  windowStartUs: number
  windowEndUs: number
}

export function validateSteadyStateSettings(settings: SteadyStateSettings): void {
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new TracebenchError(message, {code: 'INVALID_SEARCH'})
  }
  check(Number.isFinite(settings.minWindowS) && settings.minWindowS > 0, `the steady-state window must be a positive duration, got ${settings.minWindowS} s`)
  check(settings.warmupS === null || (Number.isFinite(settings.warmupS) && settings.warmupS >= 0), `the warm-up must be a duration of 0 or more, got ${settings.warmupS} s`)
  check(Number.isSafeInteger(settings.maxRequests) && settings.maxRequests >= 1, `the most requests per point must be a positive integer, got ${settings.maxRequests}`)
  check(settings.minDeliveredRatio > 0 && settings.minDeliveredRatio <= 1, `the delivered share must be above 0 and at most 1, got ${settings.minDeliveredRatio}`)
}

/** The shape of a trace from its records (one pass; memory grows with the sessions only). */
export async function measureTraceShape(source: RecordBatches): Promise<TraceShape> {
  let records = 0
  let first = 0
  let last = 0
  let maxHashId = -1
  const sessions = new Map<string, [number, number]>()
  for (;;) {
    const result = await source.next()
    if (result.done === true) break
    for (const r of result.value) {
      if (records === 0) first = r.arrivalUs
      last = r.arrivalUs
      records++
      const ids = r.hashIds
      if (ids !== undefined) for (let i = 0; i < ids.length; i++) if (ids[i]! > maxHashId) maxHashId = ids[i]!
      if (r.sessionId !== undefined) {
        const span = sessions.get(r.sessionId)
        if (span === undefined) sessions.set(r.sessionId, [r.arrivalUs, r.arrivalUs])
        else span[1] = r.arrivalUs
      }
    }
  }
  const lengths = [...sessions.values()].map(([a, b]) => b - a).sort((a, b) => a - b)
  const p90 = lengths.length === 0 ? 0 : lengths[Math.min(lengths.length - 1, Math.ceil(0.9 * lengths.length) - 1)]!
  return {records, firstArrivalUs: first, lastArrivalUs: last, maxHashId, sessions: sessions.size, sessionSpanP90Us: p90}
}

/** The warm-up in simulated µs. */
export function warmupUs(shape: TraceShape, settings: SteadyStateSettings): number {
  return settings.warmupS !== null ? settings.warmupS * 1e6 : Math.max(minAutoWarmupS * 1e6, shape.sessionSpanP90Us)
}

function tilePeriodUs(shape: TraceShape): number {
  const span = shape.lastArrivalUs - shape.firstArrivalUs
  return (span * shape.records) / (shape.records - 1)
}

/** Why the trace cannot be tiled at all (fewer than two requests, or all at one instant), or null. */
export function untileableReason(shape: TraceShape): string | null {
  if (shape.records < 2) return `the trace has ${shape.records} request${shape.records === 1 ? '' : 's'}: a steady load needs at least two arrivals to repeat`
  if (shape.lastArrivalUs === shape.firstArrivalUs) return `all ${shape.records} requests of the trace arrive at the same instant: it has no arrival rate to sustain`
  return null
}

/**
 * Tiles and window of one point, or why the trace cannot be made long enough at this
 * load within `maxRequests`.
 */
export function planSteadyState(shape: TraceShape, rateScale: number, settings: SteadyStateSettings): {plan: SteadyStatePlan} | {tooShort: string} {
  const untileable = untileableReason(shape)
  if (untileable !== null) return {tooShort: untileable}
  const span = shape.lastArrivalUs - shape.firstArrivalUs
  const period = tilePeriodUs(shape)
  const warmup = warmupUs(shape, settings)
  const needUs = warmup + settings.minWindowS * 1e6
  // Simulated span of T tiles: ((T - 1) x period + span) / rateScale >= needUs.
  const tiles = Math.max(1, Math.ceil((needUs * rateScale - span) / period - 1e-9) + 1)
  if (tiles > 1 && tiles * shape.records > settings.maxRequests) {
    return {
      tooShort:
        `at x${rateScale} the trace (${shape.records.toLocaleString('en-US')} requests over ${formatSeconds(span / 1e6 / rateScale)}) would have to be repeated ${tiles.toLocaleString('en-US')} times ` +
        `(${(tiles * shape.records).toLocaleString('en-US')} requests) to span the ${formatSeconds(warmup / 1e6)} warm-up and the ${formatSeconds(settings.minWindowS)} window, ` +
        `more than the ${settings.maxRequests.toLocaleString('en-US')} requests a point may replay`,
    }
  }
  return {
    plan: {
      tiles,
      tilePeriodUs: period,
      hashIdStride: shape.maxHashId + 1,
      warmupUs: warmup,
      windowStartUs: Math.round(shape.firstArrivalUs / rateScale + warmup),
      // The last tile's shift is rounded as its arrivals are (shiftRecord), so the last arrival ends the window exactly.
      windowEndUs: Math.round((shape.lastArrivalUs + Math.round((tiles - 1) * period)) / rateScale),
    },
  }
}

/**
 * The highest rate scale at which the trace can be tiled within `maxRequests`, rounded
 * down to 6 significant digits (the search's scale grid), or null when it cannot be tiled.
 */
export function maxSteadyRateScale(shape: TraceShape, settings: SteadyStateSettings): number | null {
  if (untileableReason(shape) !== null) return null
  const span = shape.lastArrivalUs - shape.firstArrivalUs
  const maxTiles = Math.max(1, Math.floor(settings.maxRequests / shape.records))
  const exact = ((maxTiles - 1) * tilePeriodUs(shape) + span) / (warmupUs(shape, settings) + settings.minWindowS * 1e6)
  // Down to the 6-significant-digit grid of the search's scales, then one step lower while the plan does not fit.
  const unit = 10 ** (Math.floor(Math.log10(exact)) - 5)
  let scale = Math.floor(exact / unit) * unit
  for (let i = 0; i < 3 && 'tooShort' in planSteadyState(shape, Number(scale.toPrecision(6)), settings); i++) scale -= unit
  scale = Number(scale.toPrecision(6))
  if (!(scale > 0) || 'tooShort' in planSteadyState(shape, scale, settings)) return null
  return scale
}

/** Counts kept while the tiled records stream: scheduled arrivals inside the window (the offered load). */
export interface TileCounts {
  offered: number
}

/**
 * The tiled record stream: `open()` is called once per tile (a cached trace replays from
 * memory; a large one streams from disk again), and each tile reads at most `limit`
 * records. One tile passes the records through untouched.
 */
export function tileRecords(open: () => RecordBatches, plan: SteadyStatePlan, rateScale: number, limit: number | undefined): {batches: RecordBatches; counts: TileCounts} {
  const counts: TileCounts = {offered: 0}
  const {windowStartUs, windowEndUs} = plan
  let tile = 0
  let source = limitRecords(open(), limit)
  const batches: RecordBatches = {
    next: async (): Promise<IteratorResult<TraceRecord[]>> => {
      for (;;) {
        const result = await source.next()
        if (result.done === true) {
          if (++tile >= plan.tiles) return {done: true, value: undefined}
          source = limitRecords(open(), limit)
          continue
        }
        const batch = result.value
        const out = plan.tiles === 1 ? batch : batch.map((r) => shiftRecord(r, tile, plan))
        // Offered: scheduled (open-loop) arrival times in the window, rounded as the arrival source rounds them.
        for (const r of out) {
          const atUs = Math.round(r.arrivalUs / rateScale)
          if (atUs >= windowStartUs && atUs <= windowEndUs) counts.offered++
        }
        return {done: false, value: out}
      }
    },
  }
  return {batches, counts}
}

/** The first `limit` records of a stream (all of them when undefined); stops reading the source there. */
export function limitRecords(source: RecordBatches, limit: number | undefined): RecordBatches {
  if (limit === undefined) return source
  let read = 0
  return {
    next: async (): Promise<IteratorResult<TraceRecord[]>> => {
      if (read >= limit) return {done: true, value: undefined}
      const result = await source.next()
      if (result.done === true) return result
      const batch = read + result.value.length > limit ? result.value.slice(0, limit - read) : result.value
      read += batch.length
      return {done: false, value: batch}
    },
  }
}

function shiftRecord(record: TraceRecord, tile: number, plan: SteadyStatePlan): TraceRecord {
  const out: TraceRecord = {...record, arrivalUs: record.arrivalUs + Math.round(tile * plan.tilePeriodUs)}
  // Every tile's sessions are renamed (`<tile>:<id>`), tile 0's too, so a renamed id can never equal an original one.
  if (record.sessionId !== undefined) out.sessionId = `${tile}:${record.sessionId}`
  if (record.hashIds !== undefined && tile > 0) {
    const offset = tile * plan.hashIdStride
    out.hashIds = record.hashIds.map((id) => id + offset)
  }
  return out
}

function formatSeconds(s: number): string {
  return s >= 100 ? `${Math.round(s).toLocaleString('en-US')} s` : s >= 1 ? `${Number(s.toPrecision(3))} s` : `${Number((s * 1000).toPrecision(3))} ms`
}

/** The results file's `steadyState` block: how the point was measured and whether the load was sustained. */
export function describeSteadyState(
  steady: {settings: SteadyStateSettings; plan: SteadyStatePlan; counts: TileCounts},
  run: {records: number; releasedInWindow: number; unfinished: number},
  window: Readonly<WindowTotals>,
  windowS: number,
  scoredFinished: number,
): SteadyStateRecord {
  const {settings, plan, counts} = steady
  const round3 = (x: number) => Math.round(x * 1000) / 1000
  const offeredPerS = windowS > 0 ? counts.offered / windowS : 0
  const deliveredPerS = windowS > 0 ? window.delivered / windowS : 0
  const ratio = counts.offered > 0 ? window.delivered / counts.offered : null
  const sustained = isSustained(steady, window.delivered)
  const stopped = run.unfinished > 0
  let reason: string | null = null
  if (ratio === null) reason = `no request was scheduled to arrive in the ${formatSeconds(windowS)} window`
  else if (!sustained) {
    reason =
      `not sustained: delivered ${formatRate(deliveredPerS)} req/s of the ${formatRate(offeredPerS)} offered (${(ratio * 100).toFixed(1)}%) ` +
      `over the ${formatSeconds(windowS)} window; a sustained load delivers at least ${Math.round(settings.minDeliveredRatio * 100)}%` +
      (stopped ? ` (the replay stopped at the window's end: ${(run.releasedInWindow - scoredFinished).toLocaleString('en-US')} scored requests were still in flight, so latencies cover the finished ones only)` : '')
  }
  return {
    minWindowS: settings.minWindowS,
    warmupS: plan.warmupUs / 1e6,
    minDeliveredRatio: settings.minDeliveredRatio,
    tiles: plan.tiles,
    tilePeriodS: plan.tilePeriodUs / 1e6,
    tiledRequests: run.records,
    hashIdStride: plan.tiles > 1 ? plan.hashIdStride : 0,
    offeredRequests: counts.offered,
    deliveredRequests: window.delivered,
    offeredRequestsPerS: round3(offeredPerS),
    deliveredRequestsPerS: round3(deliveredPerS),
    deliveredRatio: ratio,
    sustained,
    excludedWarmup: window.excludedBefore,
    excludedAfterWindow: window.excludedAfter,
    stoppedAtWindowEnd: stopped,
    unfinishedScored: run.releasedInWindow - scoredFinished,
    reason,
  }
}

/** Whether the backend delivered at least the required share of the requests offered in the window. */
export function isSustained(steady: {settings: SteadyStateSettings; counts: TileCounts}, delivered: number): boolean {
  const offered = steady.counts.offered
  return offered > 0 && delivered >= steady.settings.minDeliveredRatio * offered
}

function formatRate(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2)
}
