/**
 * The verdict rule, in one place (docs/claims.md, "Verdicts"):
 *
 * - Every claim is oriented so that one comparison decides it. Ratios are oriented so
 *   that bigger means the claim holds (capacity, speed and tokens: subject / baseline;
 *   latency: baseline / subject, "x times faster"), so a ratio claim holds when the
 *   measured ratio is at least the target. An absolute claim holds when the measured
 *   value is at least the target (speeds, capacities, tokens) or at most it (latencies).
 * - `tolerance` t (a fraction, default 0) relaxes the target: the threshold is
 *   target x (1 - t) for "at least" and target x (1 + t) for "at most".
 * - supported: the measured value meets the threshold; not-supported: it does not.
 *   With t = 0, a target set just below the measured value is supported and one just
 *   above it is not.
 * - inconclusive: there is no number to compare (no data, an error such as a model that
 *   does not fit, a missing optional trace, a baseline with zero capacity), or the number
 *   is only a bound on the wrong side (a capacity search that hit its bracket limit gives
 *   a lower bound: enough to support "at least" when the bound already meets the
 *   threshold, never enough to refute it).
 */

export type Verdict = 'supported' | 'not-supported' | 'inconclusive'
export const verdicts: readonly Verdict[] = ['supported', 'not-supported', 'inconclusive']

/** How the measured number relates to the true one. */
export type Bound = 'exact' | 'at-least' | 'at-most'

/** Which side of the threshold the claim needs. */
export type Direction = 'at-least' | 'at-most'

export interface VerdictInput {
  /** The measured ratio or value; null when there is none (then `missingReason` says why). */
  measured: number | null
  bound?: Bound
  target: number
  tolerance?: number
  direction?: Direction
  /** Unit for messages: `x` for ratios, `tok/s`, `ms`, `tokens`. */
  unit: string
  missingReason?: string
}

export interface VerdictOutcome {
  verdict: Verdict
  /** target x (1 - tolerance) or target x (1 + tolerance). */
  threshold: number
  /** One line: why this verdict. */
  reason: string
}

export function decideVerdict(input: VerdictInput): VerdictOutcome {
  const tolerance = input.tolerance ?? 0
  const direction = input.direction ?? 'at-least'
  const bound = input.bound ?? 'exact'
  const threshold = direction === 'at-least' ? input.target * (1 - tolerance) : input.target * (1 + tolerance)
  const show = (x: number) => formatQuantity(x, input.unit)
  const limit = tolerance > 0 ? `${show(threshold)} (the claimed ${show(input.target)} with ${formatPercent(tolerance)} tolerance)` : `the claimed ${show(input.target)}`
  const measured = input.measured
  if (measured === null || !Number.isFinite(measured) || Number.isNaN(measured)) {
    const why = input.missingReason ?? (measured === null ? 'no measured value' : `the measured value is ${measured}`)
    return {verdict: 'inconclusive', threshold, reason: why}
  }
  const meets = direction === 'at-least' ? measured >= threshold : measured <= threshold
  const qualifier = bound === 'exact' ? '' : bound === 'at-least' ? 'at least ' : 'at most '
  const relation = meets ? (direction === 'at-least' ? 'meets' : 'is within') : direction === 'at-least' ? 'is below' : 'is above'
  const sentence = `measured ${qualifier}${show(measured)}, which ${relation} ${limit}`
  // A bound decides only when the true value cannot lie on the other side of the threshold.
  const decisive = bound === 'exact' || (meets ? bound === direction : bound !== direction)
  if (!decisive) {
    return {
      verdict: 'inconclusive',
      threshold,
      reason: `${sentence}; but the value is only a bound (a capacity search hit its bracket limit), so the claim can be neither confirmed nor refuted`,
    }
  }
  return {verdict: meets ? 'supported' : 'not-supported', threshold, reason: sentence}
}

/** `5x`, `3,000 tok/s`, `250 ms`, `1,234 tokens`: 3 significant digits, thousands separated. */
export function formatQuantity(value: number, unit: string): string {
  const abs = Math.abs(value)
  const rounded = abs >= 1000 ? Math.round(value) : Number(value.toPrecision(3))
  const text = rounded.toLocaleString('en-US', {maximumFractionDigits: 6})
  if (unit === 'x') return `${text}x`
  return unit === '' ? text : `${text} ${unit}`
}

function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(4))}%`
}

/** Requests one side of a row failed, from the results behind its value. */
export interface SideFailures {
  label: string
  requests: number
  failed: number
  /** Failure reason -> count (`exceeds-kv-capacity: 161`). */
  reasons: Record<string, number>
}

/**
 * The failure rule: a value measured while more than `maxFailedRatio` of a side's
 * requests failed describes a configuration that cannot serve the workload (contexts
 * larger than its KV capacity, say), not the claim, so the row is inconclusive. Returns
 * the reason, or null when every side is within the limit. Exactly the limit passes.
 */
export function findExcessiveFailures(sides: readonly SideFailures[], maxFailedRatio: number): string | null {
  const over = sides.filter((s) => s.requests > 0 && s.failed / s.requests > maxFailedRatio)
  if (over.length === 0) return null
  const each = over.map((s) => `${describeSideFailures(s)}`).join('; ')
  return `${each}: more than the ${formatPercent(maxFailedRatio)} of requests allowed to fail (maxFailedRatio), so the value describes a backend that cannot serve this workload, not the claim`
}

/** `trn3-cs3 failed 161 of 250 requests (64.4%; exceeds-kv-capacity: 161)`. */
export function describeSideFailures(side: SideFailures): string {
  const reasons = Object.entries(side.reasons)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ')
  const share = side.requests > 0 ? formatPercent(side.failed / side.requests) : '-'
  return `${side.label} failed ${side.failed} of ${side.requests} requests (${share}${reasons === '' ? '' : `; ${reasons}`})`
}

/** The range a measured ratio or value may lie in, and why (for the reason). */
export interface MeasuredRange {
  low: number
  high: number
  /** `each capacity is known to within its search precision (trn3-cs3 +5%, cs3 +4.6%)`. */
  why: string
}

/**
 * The precision rule: a value known only to within a range (a capacity search stops when
 * the first failing load is within its precision of the last passing one) decides a claim
 * only when the whole range lies on one side of the threshold. A supported or
 * not-supported outcome whose range straddles the threshold becomes inconclusive; any
 * other outcome is returned as it is.
 */
export function applyMeasuredRange(outcome: VerdictOutcome, range: MeasuredRange | null, direction: Direction, unit: string): VerdictOutcome {
  if (range === null || outcome.verdict === 'inconclusive') return outcome
  const side = (x: number) => (direction === 'at-least' ? x >= outcome.threshold : x <= outcome.threshold)
  if (side(range.low) === side(range.high)) return outcome
  const show = (x: number) => formatQuantity(x, unit)
  return {
    ...outcome,
    verdict: 'inconclusive',
    reason: `${outcome.reason}; but ${range.why}, so the true value lies between ${show(range.low)} and ${show(range.high)}, on both sides of ${show(outcome.threshold)}: the measurement cannot tell`,
  }
}
