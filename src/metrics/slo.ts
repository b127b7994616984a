import {TracebenchError} from '../common/errors.js'
import {
  distributionMetricIds,
  isLatencyMetricId,
  metricDefinitions,
  scalarMetricIds,
  summaryKeyForPercentile,
  type DistributionMetricId,
  type MetricId,
  type MetricUnit,
  type ScalarMetricId,
} from './definitions.js'
import type {RequestOutcome} from './request-outcome.js'

/*
 * One grammar for SLOs (`replay --slo`, `capacity --slo`, claims) and gate thresholds
 * (`gate --threshold`), in the style of k6 thresholds:
 *
 *   slo            ::= ws metric-ref ws operator ws value ws
 *   metric-ref     ::= distribution "." aggregation | scalar
 *   distribution   ::= "ttft" | "tpot" | "itl" | "e2e" | "queue" | "kvTransfer" | "sendLag" | "userSpeed"
 *   scalar         ::= "throughput.outputTokensPerS" | "throughput.requestsPerS"
 *                    | "goodput.requestsPerS" | "goodput.outputTokensPerS" | "goodput.ratio"
 *                    | "failed.ratio"
 *   aggregation    ::= percentile | "mean" | "avg" | "med" | "min" | "max" | "count"
 *   percentile     ::= "p" number | "p(" number ")"    ; 0 < number <= 100; "p999" = 99.9, "p9999" = 99.99
 *
 * k6's spellings are accepted as they are written in k6 thresholds: `p(95)`, `avg` (the
 * mean), `med` (the median, p50), `min`, `max`; the canonical form uses tracebench's names.
 *   operator       ::= "<=" | ">=" | "==" | "<" | ">"
 *   value          ::= number ws [unit]
 *   number         ::= digit+ ["." digit+] | "." digit+
 *   unit           ::= time-unit | "%" | "tok/s" | "req/s"
 *   time-unit      ::= "us" | "µs" | "ms" | "s" | "m"
 *   ws             ::= (" " | "\t")*
 *
 * Metric names and aggregations are matched case-insensitively. Validation rules (after
 * the syntax): a time metric (ttft, tpot, itl, e2e, queue, kvTransfer, sendLag) needs a
 * time unit, except for `.count`; userSpeed and *.outputTokensPerS take a plain number
 * (tok/s, optionally written); *.requestsPerS a plain number (req/s); ratios a number in
 * 0..1 or a percentage. Thresholds are stored in the metric's unit (ms for time).
 */

export type SloOperator = '<' | '<=' | '>' | '>=' | '=='
export const sloOperators: readonly SloOperator[] = ['<', '<=', '>', '>=', '==']

/** A reference to one number in a results file: `ttft.p90`, `userSpeed.p10`, `goodput.ratio`. */
export interface MetricRef {
  /** Canonical text: `ttft.p90`, `ttft.p999`, `ttft.p75`, `itl.max`, `goodput.ratio`. */
  key: string
  metric: MetricId
  /** `p90`, `p999`, `mean`, `min`, `max`, `count`; null for scalar metrics. */
  aggregation: string | null
  /** The percentile for `pNN` aggregations (99.9 for p999), else null. */
  percentile: number | null
}

export interface Slo extends MetricRef {
  /** The expression as written (trimmed). */
  expression: string
  /** Canonical form, threshold in the metric's unit: `ttft.p90<=2000ms`, `goodput.ratio>=0.95`. */
  canonical: string
  op: SloOperator
  /** Threshold in `unit` (ms for time metrics, tok/s, req/s, ratio 0..1, count). */
  threshold: number
  unit: MetricUnit
}

/** A malformed or invalid SLO/threshold expression. `part` says which piece was wrong. */
export class SloParseError extends TracebenchError {
  readonly expression: string
  readonly part: 'expression' | 'metric' | 'aggregation' | 'operator' | 'value' | 'unit'
  readonly expected: string

  constructor(expression: string, part: SloParseError['part'], problem: string, expected: string) {
    super(`invalid SLO "${expression}": ${problem}; expected ${expected}`, {code: 'INVALID_SLO'})
    this.name = 'SloParseError'
    this.expression = expression
    this.part = part
    this.expected = expected
  }
}

const scalarFamilies: Record<string, string[]> = {}
for (const id of scalarMetricIds) {
  const [family, field] = id.split('.') as [string, string]
  ;(scalarFamilies[family] ??= []).push(field)
}

const example = 'e.g. ttft.p90<=2s, tpot.p90<=1ms, goodput.ratio>=0.95, throughput.outputTokensPerS>5000'
const validMetricsText = [...distributionMetricIds.map((id) => `${id}.<aggregation>`), ...scalarMetricIds].join(', ')
const timeUnitsText = 'a time unit: us, ms, s or m'
const timeUnitMs: Record<string, number | undefined> = {us: 0.001, 'µs': 0.001, ms: 1, s: 1000, m: 60_000}

const operatorPattern = /<=|>=|==|!=|=<|=>|<|>|=/
const valuePattern = /^(\d+(?:\.\d+)?|\.\d+)\s*([^\s\d.][^\s]*)?$/

/** Parses and validates one SLO/threshold expression; throws SloParseError naming the bad part. */
export function parseSlo(expression: string): Slo {
  const text = expression.trim()
  if (text === '') throw new SloParseError(expression, 'expression', 'the expression is empty', `metric.aggregation operator value (${example})`)
  const match = operatorPattern.exec(text)
  if (match === null) {
    throw new SloParseError(text, 'operator', 'no comparison operator', `one of ${sloOperators.join(' ')} between the metric and the value (${example})`)
  }
  const opText = match[0]
  if (!(sloOperators as readonly string[]).includes(opText)) {
    throw new SloParseError(text, 'operator', `operator "${opText}" is not supported`, `one of ${sloOperators.join(' ')}`)
  }
  const op = opText as SloOperator
  const left = text.slice(0, match.index).trim()
  const right = text.slice(match.index + opText.length).trim()
  if (operatorPattern.test(right)) {
    throw new SloParseError(text, 'value', `"${right}" contains a second operator`, `a single comparison (${example})`)
  }
  const ref = parseMetricRefIn(left, text)
  const {threshold, unit} = parseThreshold(right, ref, op, text)
  return {...ref, expression: text, canonical: `${ref.key}${op}${formatNumber(threshold)}${unitSuffix(unit)}`, op, threshold, unit}
}

/** Parses a list of expressions, failing on the first bad one. */
export function parseSlos(expressions: readonly string[]): Slo[] {
  return expressions.map((e) => parseSlo(e))
}

/** Canonical, sorted SLO strings: the form stored in results files and compared by merge. */
export function canonicalSloList(slos: readonly (Slo | string)[]): string[] {
  return slos.map((s) => (typeof s === 'string' ? parseSlo(s) : s).canonical).sort()
}

/** Parses a bare metric reference (`tpot.p90`), for regression checks and reports. */
export function parseMetricRef(text: string): MetricRef {
  return parseMetricRefIn(text.trim(), text.trim())
}

function parseMetricRefIn(left: string, expression: string): MetricRef {
  if (left === '') throw new SloParseError(expression, 'metric', 'no metric before the operator', `one of ${validMetricsText}`)
  const dot = left.indexOf('.')
  const head = dot === -1 ? left : left.slice(0, dot)
  const tail = dot === -1 ? null : left.slice(dot + 1)
  const distribution = distributionMetricIds.find((id) => id.toLowerCase() === head.toLowerCase())
  if (distribution !== undefined) return parseDistributionRef(distribution, tail, expression)
  const family = Object.keys(scalarFamilies).find((f) => f.toLowerCase() === head.toLowerCase())
  if (family !== undefined) {
    const fields = scalarFamilies[family] as string[]
    const field = tail === null ? undefined : fields.find((f) => f.toLowerCase() === tail.toLowerCase())
    if (field === undefined) {
      const problem = tail === null ? `"${family}" needs a field` : `unknown field "${tail}" for ${family}`
      throw new SloParseError(expression, 'aggregation', problem, `${family}.<field> with field one of ${fields.join(', ')}`)
    }
    const id = `${family}.${field}` as ScalarMetricId
    return {key: id, metric: id, aggregation: null, percentile: null}
  }
  throw new SloParseError(expression, 'metric', `unknown metric "${head}"`, `one of ${validMetricsText}`)
}

/** k6's names for aggregations tracebench spells otherwise. */
const k6Aggregations: Record<string, string | undefined> = {avg: 'mean', med: 'p50'}

function parseDistributionRef(metric: DistributionMetricId, tail: string | null, expression: string): MetricRef {
  const valid = metric === 'userSpeed' ? 'p10, p50, p90 (any pNN), mean, min, max or count' : 'p50, p90, p95, p99, p999 (any pNN), mean, min, max or count'
  if (tail === null || tail === '') {
    throw new SloParseError(expression, 'aggregation', `"${metric}" needs an aggregation`, `${metric}.<aggregation> with aggregation one of ${valid}`)
  }
  const lower = k6Aggregations[tail.toLowerCase()] ?? tail.toLowerCase()
  if (lower === 'mean' || lower === 'min' || lower === 'max' || lower === 'count') {
    return {key: `${metric}.${lower}`, metric, aggregation: lower, percentile: null}
  }
  const percentile = parsePercentile(lower)
  if (percentile === null) {
    throw new SloParseError(expression, 'aggregation', `unknown aggregation "${tail}" for ${metric}`, `one of ${valid}`)
  }
  if (!(percentile > 0 && percentile <= 100)) {
    throw new SloParseError(expression, 'aggregation', `percentile ${tail} is out of range`, 'a percentile above 0 and at most 100 (use min for the lowest value)')
  }
  const aggregation = summaryKeyForPercentile(percentile) ?? `p${formatNumber(percentile)}`
  return {key: `${metric}.${aggregation}`, metric, aggregation, percentile}
}

/** `p90` -> 90, `p99.9`/`p(99.9)`/`p999` -> 99.9, `p9999` -> 99.99; null when not a percentile. */
function parsePercentile(text: string): number | null {
  const m = /^p(?:\((\d+(?:\.\d+)?)\)|(\d+(?:\.\d+)?))$/.exec(text)
  if (m === null) return null
  const digits = (m[1] ?? m[2]) as string
  if (!digits.includes('.') && digits.length >= 3 && digits.startsWith('99') && Number(digits) > 100) {
    return Number(`99.${digits.slice(2)}`)
  }
  return Number(digits)
}

function parseThreshold(right: string, ref: MetricRef, op: SloOperator, expression: string): {threshold: number; unit: MetricUnit} {
  if (right === '') throw new SloParseError(expression, 'value', 'no value after the operator', `a number${unitHint(ref)}`)
  const m = valuePattern.exec(right)
  if (m === null) throw new SloParseError(expression, 'value', `"${right}" is not a number`, `a non-negative number${unitHint(ref)}`)
  const number = Number(m[1])
  const unitText = m[2]
  const isTime = isLatencyMetricId(ref.metric) && ref.aggregation !== 'count'
  if (ref.aggregation === 'count') {
    if (unitText !== undefined) throw new SloParseError(expression, 'unit', `${ref.key} is a count and takes no unit, got "${unitText}"`, 'a plain number')
    return {threshold: number, unit: 'count'}
  }
  if (isTime) {
    if (unitText === undefined) {
      throw new SloParseError(expression, 'unit', `missing time unit after ${m[1]}`, `${timeUnitsText} (e.g. ${ref.key}${op}${m[1]}ms)`)
    }
    const factor = timeUnitMs[unitText.toLowerCase()]
    if (factor === undefined) throw new SloParseError(expression, 'unit', `unknown unit "${unitText}"`, timeUnitsText)
    return {threshold: cleanNumber(number * factor), unit: 'ms'}
  }
  const unit = metricDefinitions[ref.metric].unit
  if (unit === 'ratio') {
    if (unitText === '%') return {threshold: cleanNumber(number / 100), unit}
    if (unitText !== undefined) throw new SloParseError(expression, 'unit', `${ref.key} is a ratio, got unit "${unitText}"`, 'a number from 0 to 1, or a percentage such as 95%')
    if (number > 1) {
      throw new SloParseError(expression, 'value', `${ref.key} is a ratio from 0 to 1, got ${m[1]}`, `a number from 0 to 1, or a percentage (did you mean ${m[1]}%?)`)
    }
    return {threshold: number, unit}
  }
  if (unitText !== undefined && unitText.toLowerCase() !== unit) {
    throw new SloParseError(expression, 'unit', `${ref.key} is in ${unit}, got unit "${unitText}"`, `a plain number (${unit})`)
  }
  return {threshold: number, unit}
}

function unitHint(ref: MetricRef): string {
  if (ref.aggregation === 'count') return ''
  if (isLatencyMetricId(ref.metric)) return ` with ${timeUnitsText} (e.g. 300ms)`
  const unit = metricDefinitions[ref.metric].unit
  return unit === 'ratio' ? ' from 0 to 1, or a percentage (e.g. 0.95 or 95%)' : ` (${unit})`
}

/** Removes binary noise from unit conversion (1.1 * 1000 = 1100.0000000000002). */
function cleanNumber(x: number): number {
  return Number(x.toPrecision(12))
}

export function formatNumber(x: number): string {
  return String(cleanNumber(x))
}

function unitSuffix(unit: MetricUnit): string {
  return unit === 'ms' ? 'ms' : ''
}

export function compare(actual: number, op: SloOperator, threshold: number): boolean {
  switch (op) {
    case '<':
      return actual < threshold
    case '<=':
      return actual <= threshold
    case '>':
      return actual > threshold
    case '>=':
      return actual >= threshold
    case '==':
      return actual === threshold
  }
}

/*
 * Per-request SLO checks, for goodput. A request is "good" when it completed and meets
 * every SLO that can be checked on one request:
 * - an SLO on a per-request metric (ttft, tpot, e2e, queue, kvTransfer, sendLag,
 *   userSpeed), whatever its aggregation other than count, is applied to the request's
 *   own value: `ttft.p90<=2s` means this request's TTFT <= 2 s;
 * - itl: the request's own gaps must all satisfy it (its largest gap for < and <=, its
 *   smallest for > and >=);
 * - tpot and userSpeed SLOs do not apply to requests with one output token (no decode);
 *   kvTransfer is 0 on aggregated backends; sendLag applies only when reported;
 * - SLOs on aggregate metrics (throughput.*, goodput.*, failed.ratio) and `.count`
 *   aggregations are ignored per request: they describe the run, not a request.
 */

/** Per-request values in microseconds; `NaN` means "not applicable to this request". */
export interface RequestValues {
  ttftUs: number
  tpotUs: number
  e2eUs: number
  queueUs: number
  kvTransferUs: number
  sendLagUs: number
  itlMinUs: number
  itlMaxUs: number
}

/** Fills `out` (reused by the recorder, to avoid allocating per request) from an outcome. */
export function computeRequestValues(o: RequestOutcome, out: RequestValues): RequestValues {
  out.ttftUs = o.firstTokenUs - o.arrivalUs
  out.e2eUs = o.completionUs - o.arrivalUs
  out.queueUs = o.startUs - o.arrivalUs
  out.tpotUs = o.outputTokens > 1 ? (o.completionUs - o.firstTokenUs) / (o.outputTokens - 1) : Number.NaN
  out.kvTransferUs = o.kvTransferUs
  out.sendLagUs = o.sendLagUs ?? Number.NaN
  let min = Number.NaN
  let max = Number.NaN
  const gaps = o.itlGapsUs
  for (let i = 0; i < gaps.length; i++) {
    const pair = gaps[i] as [number, number]
    if (pair[1] <= 0) continue
    const gap = pair[0]
    if (!(gap >= min)) min = gap
    if (!(gap <= max)) max = gap
  }
  out.itlMinUs = min
  out.itlMaxUs = max
  return out
}

export function createRequestValues(): RequestValues {
  const nan = Number.NaN
  return {ttftUs: nan, tpotUs: nan, e2eUs: nan, queueUs: nan, kvTransferUs: nan, sendLagUs: nan, itlMinUs: nan, itlMaxUs: nan}
}

type RequestCheck = (v: RequestValues) => boolean

/** Compiles the per-request part of a set of SLOs into one predicate (the recorder calls it per request). */
export function compileRequestCheck(slos: readonly Slo[]): RequestCheck {
  const checks: RequestCheck[] = []
  for (const slo of slos) {
    const check = compileOne(slo)
    if (check !== null) checks.push(check)
  }
  if (checks.length === 0) return () => true
  return (v) => {
    for (let i = 0; i < checks.length; i++) if (!(checks[i] as RequestCheck)(v)) return false
    return true
  }
}

function compileOne(slo: Slo): RequestCheck | null {
  if (!metricDefinitions[slo.metric].perRequest || slo.aggregation === 'count') return null
  const op = slo.op
  if (slo.metric === 'userSpeed') {
    const threshold = slo.threshold
    return (v) => Number.isNaN(v.tpotUs) || compare(v.tpotUs > 0 ? 1e6 / v.tpotUs : Number.POSITIVE_INFINITY, op, threshold)
  }
  const thresholdUs = slo.threshold * 1000
  switch (slo.metric) {
    case 'ttft':
      return (v) => compare(v.ttftUs, op, thresholdUs)
    case 'tpot':
      return (v) => Number.isNaN(v.tpotUs) || compare(v.tpotUs, op, thresholdUs)
    case 'e2e':
      return (v) => compare(v.e2eUs, op, thresholdUs)
    case 'queue':
      return (v) => compare(v.queueUs, op, thresholdUs)
    case 'kvTransfer':
      return (v) => compare(v.kvTransferUs, op, thresholdUs)
    case 'sendLag':
      return (v) => Number.isNaN(v.sendLagUs) || compare(v.sendLagUs, op, thresholdUs)
    case 'itl':
      if (op === '<' || op === '<=') return (v) => Number.isNaN(v.itlMaxUs) || compare(v.itlMaxUs, op, thresholdUs)
      if (op === '>' || op === '>=') return (v) => Number.isNaN(v.itlMinUs) || compare(v.itlMinUs, op, thresholdUs)
      return (v) => Number.isNaN(v.itlMinUs) || (compare(v.itlMinUs, op, thresholdUs) && compare(v.itlMaxUs, op, thresholdUs))
    default:
      return null
  }
}

/** True when one completed request meets every per-request SLO (see the rules above). */
export function requestMeetsSlos(outcome: RequestOutcome, slos: readonly Slo[]): boolean {
  return compileRequestCheck(slos)(computeRequestValues(outcome, createRequestValues()))
}
