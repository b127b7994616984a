import {TracebenchError} from '../common/errors.js'

/**
 * The search behind `tracebench capacity`: the highest rate scale at which a predicate
 * (every SLO holds) is true, by bracketing then bisection, in log space because the
 * precision is relative.
 *
 * Each round evaluates up to `pointsPerRound` scales at once (in parallel on the worker
 * pool). The points of a round depend only on the outcomes of earlier rounds, never on
 * which evaluation finished first or on how many workers there are, so the sequence of
 * evaluated points, and the answer, are the same with 1 worker or 16.
 *
 * Rounds:
 * 1. a ladder around `startScale`: start x 2^(j - floor((p-1)/2)), j = 0..p-1 (p = 4: 0.5, 1, 2, 4);
 * 2. while nothing failed yet, a ladder upward from the highest point, 4x apart, capped
 *    at `maxScale`; while nothing passed yet, downward, capped at `minScale`;
 * 3. once a passing point lies below a failing one, bisection: the interval (lo, hi) is
 *    cut into p + 1 equal parts in log space (fewer points when fewer reach the precision);
 *    except that when a failing point says where the load saturates (`ceilingScale`: the
 *    scale whose offered load equals what it delivered) and that lies inside (lo, hi),
 *    the round probes around it instead, one precision step apart (g x (1 + precision)^j,
 *    j = 1, 0, -1, ...), which usually closes the bracket in one round;
 * 4. stop when hi / lo - 1 <= precision.
 *
 * `hi` is the lowest failing scale seen and `lo` the highest passing scale below it. A
 * passing point above `hi` (latency is not perfectly monotone in load: discrete batching,
 * a queue that happens to drain) is ignored and flagged as `nonMonotone`.
 */
export interface SearchSettings {
  /** Centre of the first ladder (default 1: the trace's own rate). */
  startScale: number
  /** Lowest scale tried; failing there means the SLOs are not reachable. */
  minScale: number
  /** Highest scale tried; passing there gives a lower bound, flagged. */
  maxScale: number
  /** Relative precision: stop when hi / lo - 1 <= precision (0.02 = 2%). */
  precision: number
  /** Scales evaluated per round (independent of the worker count, for determinism). */
  pointsPerRound: number
}

export const defaultSearchSettings: SearchSettings = {
  startScale: 1,
  minScale: 1 / 1024,
  maxScale: 1024,
  precision: 0.02,
  pointsPerRound: 4,
}

export type SearchStatus = 'found' | 'not-reachable' | 'lower-bound'

export interface Evaluation<T> {
  scale: number
  /** 1-based round in which the point was evaluated. */
  round: number
  passed: boolean
  value: T
  /**
   * A failing point that could not carry its load: the rate scale at which the load it
   * was offered would equal what it delivered (a guess at where the load saturates).
   */
  ceilingScale?: number
}

export interface SearchOutcome<T> {
  /**
   * `found`: lastPassing passes and firstFailing fails, within the precision;
   * `not-reachable`: the SLOs fail even at minScale (no passing point);
   * `lower-bound`: they still hold at maxScale (capacity is at least that).
   */
  status: SearchStatus
  lastPassing: Evaluation<T> | null
  firstFailing: Evaluation<T> | null
  /** Every evaluation, in round order, ascending scale within a round. */
  evaluations: Evaluation<T>[]
  rounds: number
  /** hi / lo - 1 at the end (null unless status is `found`). */
  achievedPrecision: number | null
  /** A point above the lowest failing one passed (the predicate is not monotone in load). */
  nonMonotone: boolean
}

/** Evaluates several scales (one round); resolves to one outcome per scale, in the same order. */
export type EvaluateScales<T> = (scales: number[], round: number) => Promise<Array<{passed: boolean; value: T; ceilingScale?: number}>>

/** Scales are rounded to 6 significant digits so that file names and reports stay readable. */
export function roundScale(scale: number): number {
  return Number(scale.toPrecision(6))
}

export function validateSearchSettings(settings: SearchSettings): void {
  const {startScale, minScale, maxScale, precision, pointsPerRound} = settings
  const positive = (name: string, value: number) => {
    if (!(Number.isFinite(value) && value > 0)) throw new TracebenchError(`${name} must be a positive number, got ${value}`, {code: 'INVALID_SEARCH'})
  }
  positive('the lowest rate scale', minScale)
  positive('the highest rate scale', maxScale)
  positive('the start rate scale', startScale)
  if (minScale > maxScale) throw new TracebenchError(`the lowest rate scale (${minScale}) is above the highest (${maxScale})`, {code: 'INVALID_SEARCH'})
  if (startScale < minScale || startScale > maxScale) {
    throw new TracebenchError(`the start rate scale ${startScale} is outside [${minScale}, ${maxScale}]`, {code: 'INVALID_SEARCH'})
  }
  if (!(precision > 0 && precision <= 1)) {
    throw new TracebenchError(`precision must be above 0 and at most 1 (0.02 = 2%), got ${precision}`, {code: 'INVALID_SEARCH'})
  }
  if (!Number.isInteger(pointsPerRound) || pointsPerRound < 1 || pointsPerRound > 64) {
    throw new TracebenchError(`points per round must be an integer from 1 to 64, got ${pointsPerRound}`, {code: 'INVALID_SEARCH'})
  }
}

interface Bracket<T> {
  lo: Evaluation<T> | null
  hi: Evaluation<T> | null
  nonMonotone: boolean
}

function findBracket<T>(evaluations: readonly Evaluation<T>[]): Bracket<T> {
  let hi: Evaluation<T> | null = null
  for (const e of evaluations) if (!e.passed && (hi === null || e.scale < hi.scale)) hi = e
  let lo: Evaluation<T> | null = null
  let nonMonotone = false
  for (const e of evaluations) {
    if (!e.passed) continue
    if (hi !== null && e.scale > hi.scale) {
      nonMonotone = true
      continue
    }
    if (lo === null || e.scale > lo.scale) lo = e
  }
  return {lo, hi, nonMonotone}
}

/** The scales of the next round, or a final status when the search is over. */
export function planNextRound<T>(evaluations: readonly Evaluation<T>[], settings: SearchSettings): number[] | SearchStatus {
  const p = settings.pointsPerRound
  const seen = new Set(evaluations.map((e) => e.scale))
  const fresh = (scales: number[]): number[] => [...new Set(scales.map(roundScale))].filter((s) => !seen.has(s)).sort((a, b) => a - b)
  const clamp = (s: number) => Math.min(settings.maxScale, Math.max(settings.minScale, s))

  if (evaluations.length === 0) {
    const half = Math.floor((p - 1) / 2)
    return fresh(Array.from({length: p}, (_, j) => clamp(settings.startScale * 2 ** (j - half))))
  }
  const {lo, hi} = findBracket(evaluations)
  if (hi === null) {
    const top = Math.max(...evaluations.map((e) => e.scale))
    if (top >= settings.maxScale) return 'lower-bound'
    const next = fresh(Array.from({length: p}, (_, j) => clamp(top * 4 ** (j + 1))))
    return next.length > 0 ? next : 'lower-bound'
  }
  if (lo === null) {
    if (hi.scale <= settings.minScale) return 'not-reachable'
    const next = fresh(Array.from({length: p}, (_, j) => clamp(hi.scale / 4 ** (j + 1))))
    return next.length > 0 ? next : 'not-reachable'
  }
  const ratio = hi.scale / lo.scale
  if (ratio - 1 <= settings.precision) return 'found'
  // The fewest points (at most p) that cut (lo, hi) into parts within the precision.
  const needed = Math.ceil(Math.log(ratio) / Math.log(1 + settings.precision)) - 1
  const k = Math.max(1, Math.min(p, needed))
  const inside = (scales: number[]) => fresh(scales).filter((s) => s > lo.scale && s < hi.scale)
  const guess = Math.min(...evaluations.map((e) => (e.passed || e.ceilingScale === undefined ? Number.POSITIVE_INFINITY : e.ceilingScale)))
  if (guess > lo.scale && guess < hi.scale) {
    const guided = inside(Array.from({length: k}, (_, j) => guess * (1 + settings.precision) ** (1 - j)))
    if (guided.length > 0) return guided
  }
  const next = fresh(Array.from({length: k}, (_, j) => lo.scale * ratio ** ((j + 1) / (k + 1)))).filter((s) => s > lo.scale && s < hi.scale)
  // Rounding to 6 digits can leave nothing strictly inside a tiny interval: that is as precise as scales get.
  return next.length > 0 ? next : 'found'
}

/** Runs the search to the end; `evaluate` is called once per round. */
export async function runBracketSearch<T>(settings: SearchSettings, evaluate: EvaluateScales<T>): Promise<SearchOutcome<T>> {
  validateSearchSettings(settings)
  const evaluations: Evaluation<T>[] = []
  let round = 0
  for (;;) {
    const plan = planNextRound(evaluations, settings)
    if (typeof plan === 'string') return finishSearch(plan, evaluations, round)
    round++
    const outcomes = await evaluate(plan, round)
    if (outcomes.length !== plan.length) throw new Error(`internal: evaluated ${outcomes.length} scales, expected ${plan.length}`)
    plan.forEach((scale, i) => {
      const o = outcomes[i] as {passed: boolean; value: T; ceilingScale?: number}
      const e: Evaluation<T> = {scale, round, passed: o.passed, value: o.value}
      if (o.ceilingScale !== undefined && Number.isFinite(o.ceilingScale) && o.ceilingScale > 0) e.ceilingScale = o.ceilingScale
      evaluations.push(e)
    })
  }
}

function finishSearch<T>(status: SearchStatus, evaluations: Evaluation<T>[], rounds: number): SearchOutcome<T> {
  const {lo, hi, nonMonotone} = findBracket(evaluations)
  return {
    status,
    lastPassing: status === 'not-reachable' ? null : lo,
    firstFailing: status === 'lower-bound' ? null : hi,
    evaluations,
    rounds,
    achievedPrecision: status === 'found' && lo !== null && hi !== null ? hi.scale / lo.scale - 1 : null,
    nonMonotone,
  }
}
