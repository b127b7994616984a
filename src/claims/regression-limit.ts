import {metricDefinitions, type MetricUnit} from '../metrics/definitions.js'
import {parseMetricRef, SloParseError, type MetricRef} from '../metrics/slo.js'
import {TracebenchError} from '../common/errors.js'

/*
 * A regression limit compares one metric of a results file with the same metric of a
 * baseline results file:
 *
 *   limit      ::= ws metric-ref ws ":" ws [sign] number ws "%" ws
 *   sign       ::= "+" | "-"
 *
 * metric-ref is the SLO grammar's (src/metrics/slo.ts): `tpot.p90`, `goodput.ratio`,
 * `throughput.outputTokensPerS`. The number is the largest allowed change *for the worse*,
 * in percent of the baseline value. "Worse" follows the metric's direction
 * (definitions.ts `biggerIsBetter`): for latencies a rise is a regression, for
 * throughput and per-user speed a fall is. The sign is optional; when written it must
 * point the bad way (`tpot.p90:+10%`, `throughput.outputTokensPerS:-5%`), so a limit
 * cannot silently mean the opposite of what its author thought.
 */

export interface RegressionLimit extends MetricRef {
  /** As written (trimmed). */
  expression: string
  /** Canonical form: `tpot.p90:+10%`, `throughput.outputTokensPerS:-5%`. */
  canonical: string
  /** Largest allowed change for the worse, in percent of the baseline (>= 0). */
  maxWorsePct: number
  biggerIsBetter: boolean
  unit: MetricUnit
}

/** A malformed `--max-regression` expression; the message quotes it and says what was expected. */
export class RegressionLimitError extends TracebenchError {
  constructor(expression: string, problem: string, expected: string) {
    super(`invalid regression limit "${expression}": ${problem}; expected ${expected}`, {code: 'INVALID_REGRESSION_LIMIT'})
    this.name = 'RegressionLimitError'
  }
}

const example = 'metric:+N% (e.g. tpot.p90:+10%, ttft.p99:+5%, throughput.outputTokensPerS:-5%)'

export function parseRegressionLimit(expression: string): RegressionLimit {
  const text = expression.trim()
  const colon = text.lastIndexOf(':')
  if (colon === -1) throw new RegressionLimitError(text, 'no ":" between the metric and the allowed change', example)
  const left = text.slice(0, colon).trim()
  const right = text.slice(colon + 1).trim()
  let ref: MetricRef
  try {
    ref = parseMetricRef(left)
  } catch (error) {
    if (error instanceof SloParseError) throw new RegressionLimitError(text, error.message.replace(/^invalid SLO "[^"]*": /, ''), example)
    throw error
  }
  if (ref.aggregation === 'count') {
    throw new RegressionLimitError(text, `${ref.key} is a count; regressions compare values`, 'a percentile, mean, min or max (e.g. tpot.p90:+10%)')
  }
  const m = /^([+-]?)\s*(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(right)
  if (m === null) throw new RegressionLimitError(text, `"${right}" is not a percentage`, `a percentage such as +10% (${example})`)
  const definition = metricDefinitions[ref.metric]
  const biggerIsBetter = definition.biggerIsBetter
  const sign = m[1] as '' | '+' | '-'
  const badSign = biggerIsBetter ? '-' : '+'
  if (sign !== '' && sign !== badSign) {
    const direction = biggerIsBetter ? 'bigger is better, so a regression is a fall' : 'smaller is better, so a regression is a rise'
    throw new RegressionLimitError(text, `${ref.key}: ${direction}`, `${ref.key}:${badSign}${m[2]}% (or ${ref.key}:${m[2]}%)`)
  }
  const maxWorsePct = Number(m[2])
  return {
    ...ref,
    expression: text,
    canonical: `${ref.key}:${badSign}${maxWorsePct}%`,
    maxWorsePct,
    biggerIsBetter,
    unit: definition.unit,
  }
}

export interface RegressionComparison {
  passed: boolean
  /** (current - baseline) / baseline x 100, signed; null when it cannot be computed. */
  changePct: number | null
  /** Change for the worse in percent (negative when the metric improved); null when unknown. */
  worsePct: number | null
  reason?: string
}

/**
 * Compares a current and a baseline value. Missing data on either side fails (an
 * empty run never passes a gate). A zero baseline passes only when the current value
 * is no worse than zero.
 */
export function compareWithBaseline(limit: Pick<RegressionLimit, 'key' | 'unit' | 'maxWorsePct' | 'biggerIsBetter'>, current: number | null, baseline: number | null): RegressionComparison {
  if (current === null) return {passed: false, changePct: null, worsePct: null, reason: 'no data in the results file'}
  if (baseline === null) return {passed: false, changePct: null, worsePct: null, reason: 'no data in the baseline file'}
  if (baseline === 0) {
    const worse = limit.biggerIsBetter ? current < 0 : current > 0
    if (!worse) return {passed: true, changePct: current === 0 ? 0 : null, worsePct: current === 0 ? 0 : null}
    return {passed: false, changePct: null, worsePct: null, reason: `${limit.key} was ${current} against a baseline of 0 (the change cannot be expressed in percent)`}
  }
  const changePct = ((current - baseline) / Math.abs(baseline)) * 100
  const worsePct = limit.biggerIsBetter ? -changePct : changePct
  // Rounding to 1e-9 keeps an exact +10.000000000001% (binary noise) from failing a 10% limit.
  const passed = Math.round(worsePct * 1e9) / 1e9 <= limit.maxWorsePct
  if (passed) return {passed, changePct, worsePct}
  const direction = limit.biggerIsBetter ? 'fell' : 'rose'
  return {
    passed,
    changePct,
    worsePct,
    reason: `${limit.key} ${direction} ${formatPct(Math.abs(changePct))} (${formatNumber(baseline)} -> ${formatNumber(current)}${unitSuffix(limit.unit)}), more than the allowed ${formatPct(limit.maxWorsePct)}`,
  }
}

export function formatPct(pct: number): string {
  return `${Number(pct.toFixed(2))}%`
}

function formatNumber(x: number): string {
  return String(Number(x.toPrecision(6)))
}

function unitSuffix(unit: MetricUnit): string {
  return unit === 'ratio' || unit === 'count' ? '' : ` ${unit}`
}
