import {TracebenchError} from '../common/errors.js'
import type {MetricUnit} from '../metrics/definitions.js'
import {compare, sloOperators, type SloOperator} from '../metrics/slo.js'
import type {CapacityReport} from '../parallel/capacity-report.js'
import type {CapacityFigures, CapacityResult} from '../parallel/capacity-search.js'
import {formatMeasured, formatThreshold, type GateCheck, type GateReport} from './gate.js'
import {compareWithBaseline, formatPct} from './regression-limit.js'

/*
 * Gating a capacity file (`tracebench capacity`'s capacity.json) instead of a results
 * file: thresholds and regression limits on each backend's capacity.
 *
 *   threshold  ::= "capacity." field ["." per] op number [unit]      capacity.outputTokensPerS>=5000
 *   regression ::= "capacity." field ["." per] ":" ["-"] number "%"  capacity.outputTokensPerS:-5%
 *   field      ::= "rateScale" | "requestsPerS" | "outputTokensPerS" | "totalOutputTokensPerS"
 *   per        ::= "perSystem" | "perChip" | "perRack" | "perKW" | "perUsdPerHour"   (requestsPerS and outputTokensPerS only)
 *
 * Every check applies to each backend of the file. Bigger is better for all of them. The
 * search's status decides what a number is worth: `found` is the capacity, `not-reachable`
 * is a capacity of 0, `lower-bound` is a floor (it passes a `>`/`>=` threshold it meets,
 * and nothing else can be concluded from it), `too-short` has no number (it fails).
 */

const fields = ['rateScale', 'requestsPerS', 'outputTokensPerS', 'totalOutputTokensPerS'] as const
type CapacityField = (typeof fields)[number]
const perUnits = {perSystem: 'system', perChip: 'chip', perRack: 'rack', perKW: 'kW', perUsdPerHour: 'usdPerHour'} as const
type PerUnit = keyof typeof perUnits

export interface CapacityMetricRef {
  key: string
  field: CapacityField
  per: PerUnit | null
  unit: MetricUnit
}

export interface CapacityThreshold extends CapacityMetricRef {
  expression: string
  canonical: string
  op: SloOperator
  threshold: number
}

export interface CapacityRegression extends CapacityMetricRef {
  expression: string
  canonical: string
  maxWorsePct: number
}

const example = 'capacity.outputTokensPerS>=5000, capacity.perRack.outputTokensPerS>=1000, capacity.rateScale>=10'

/** Whether an expression names a capacity metric (`capacity.`), so it is checked against a capacity file. */
export function isCapacityExpression(text: string): boolean {
  return /^\s*capacity\./i.test(text)
}

function parseRef(text: string, expression: string): CapacityMetricRef {
  const parts = text.trim().split('.')
  const [family, a, b] = parts
  const fail = (problem: string): never => {
    throw new TracebenchError(`invalid capacity check "${expression}": ${problem}; expected capacity.<field> or capacity.<per>.<field> with field one of ${fields.join(', ')} and per one of ${Object.keys(perUnits).join(', ')} (e.g. ${example})`, {code: 'INVALID_SLO'})
  }
  if (family?.toLowerCase() !== 'capacity' || parts.length < 2 || parts.length > 3) fail(`"${text.trim()}" is not a capacity metric`)
  const per = parts.length === 3 ? (Object.keys(perUnits).find((p) => p.toLowerCase() === a!.toLowerCase()) as PerUnit | undefined) : null
  if (per === undefined) fail(`unknown footprint unit "${a}"`)
  const fieldText = parts.length === 3 ? b! : a!
  const field = fields.find((f) => f.toLowerCase() === fieldText.toLowerCase())
  if (field === undefined) fail(`unknown field "${fieldText}"`)
  if (per !== null && (field === 'rateScale' || field === 'totalOutputTokensPerS')) fail(`${field} is not given per footprint unit`)
  const unit: MetricUnit = field === 'rateScale' ? 'count' : field === 'requestsPerS' ? 'req/s' : 'tok/s'
  return {key: per === null ? `capacity.${field!}` : `capacity.${per}.${field!}`, field: field!, per: per ?? null, unit}
}

export function parseCapacityThreshold(expression: string): CapacityThreshold {
  const text = expression.trim()
  const match = /(<=|>=|==|<|>)/.exec(text)
  if (match === null) throw new TracebenchError(`invalid capacity check "${text}": no comparison operator; expected one of ${sloOperators.join(' ')} (e.g. ${example})`, {code: 'INVALID_SLO'})
  const ref = parseRef(text.slice(0, match.index), text)
  const value = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(tok\/s|req\/s|x)?\s*$/i.exec(text.slice(match.index + match[0].length))
  if (value === null) throw new TracebenchError(`invalid capacity check "${text}": expected a non-negative number after ${match[0]} (e.g. ${example})`, {code: 'INVALID_SLO'})
  const threshold = Number(value[1])
  const op = match[0] as SloOperator
  return {...ref, expression: text, canonical: `${ref.key}${op}${threshold}`, op, threshold}
}

export function parseCapacityRegression(expression: string): CapacityRegression {
  const text = expression.trim()
  const colon = text.lastIndexOf(':')
  if (colon === -1) throw new TracebenchError(`invalid regression limit "${text}": no ":" between the metric and the allowed change; expected e.g. capacity.outputTokensPerS:-5%`, {code: 'INVALID_REGRESSION_LIMIT'})
  const ref = parseRef(text.slice(0, colon), text)
  const m = /^\s*(-?)\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(text.slice(colon + 1))
  if (m === null) {
    throw new TracebenchError(`invalid regression limit "${text}": expected a percentage such as -5% (capacity is bigger-is-better, so a regression is a fall)`, {code: 'INVALID_REGRESSION_LIMIT'})
  }
  const maxWorsePct = Number(m[2])
  return {...ref, expression: text, canonical: `${ref.key}:-${maxWorsePct}%`, maxWorsePct}
}

/** A backend's value for a capacity metric, or null when the search gave no number. */
function readCapacity(result: CapacityResult, ref: CapacityMetricRef): number | null {
  if (result.status === 'too-short') return null
  if (ref.per === null) return result[ref.field]
  const figures: CapacityFigures | null = result.perFootprint[perUnits[ref.per]]
  if (figures === null) return null
  return figures[ref.field as 'requestsPerS' | 'outputTokensPerS']
}

function statusNote(result: CapacityResult): string {
  if (result.status === 'too-short') return `no data: ${result.message}`
  if (result.status === 'lower-bound') return `a lower bound: the capacity is at least this (${result.message})`
  return ''
}

export interface CapacityGateInput {
  report: CapacityReport
  path: string
  thresholds: readonly CapacityThreshold[]
  baseline?: CapacityReport
  baselinePath?: string
  regressions?: readonly CapacityRegression[]
}

/** Checks every threshold and regression limit against every backend of a capacity file. */
export function evaluateCapacityGate(input: CapacityGateInput): GateReport {
  const checks: GateCheck[] = []
  for (const result of input.report.results) {
    for (const threshold of input.thresholds) checks.push(checkThreshold(threshold, result))
    for (const limit of input.regressions ?? []) {
      const before = input.baseline?.results.find((r) => r.backendSpec === result.backendSpec)
      checks.push(checkRegression(limit, result, before, input.baselinePath ?? 'baseline'))
    }
  }
  const failed = checks.filter((c) => !c.passed).length
  const describe = (report: CapacityReport, path: string) => ({
    path,
    trace: report.spec.trace,
    backend: report.results.map((r) => r.backendSpec).join(', '),
    model: [...new Set(report.results.map((r) => r.model))].join(', '),
    rateScale: Number.NaN,
    seed: report.spec.seed,
  })
  const warnings: string[] = []
  if (input.baseline !== undefined && input.baseline.spec.trace !== input.report.spec.trace) {
    warnings.push(`the baseline searched another trace (${input.baseline.spec.trace} vs ${input.report.spec.trace})`)
  }
  return {
    passed: failed === 0,
    results: describe(input.report, input.path),
    baseline: input.baseline === undefined ? null : describe(input.baseline, input.baselinePath ?? 'baseline'),
    checks,
    failed,
    warnings,
  }
}

function checkThreshold(threshold: CapacityThreshold, result: CapacityResult): GateCheck {
  const actual = readCapacity(result, threshold)
  const check: GateCheck = {
    kind: 'threshold',
    name: `${threshold.canonical} [${result.backendSpec}]`,
    expression: threshold.expression,
    metric: threshold.key,
    unit: threshold.unit,
    passed: false,
    actual,
    limit: `${threshold.op} ${formatThreshold(threshold.threshold, threshold.unit)}`,
  }
  if (actual === null) {
    check.reason = result.status === 'too-short' ? statusNote(result) : `no data: ${threshold.key} is not known for ${result.backendSpec} (no price or an empty footprint unit)`
    return check
  }
  const meets = compare(actual, threshold.op, threshold.threshold)
  // A lower bound says the capacity is at least `actual`: enough for a floor it meets, nothing more.
  const conclusive = result.status !== 'lower-bound' || threshold.op === '>' || threshold.op === '>='
  check.passed = meets && conclusive
  if (!check.passed) {
    check.reason = !conclusive
      ? `${statusNote(result)}; an upper limit cannot be checked against it`
      : `${threshold.key} of ${result.backendSpec} was ${formatMeasured(actual, threshold.unit)}, expected ${threshold.op} ${formatThreshold(threshold.threshold, threshold.unit)}${result.status === 'lower-bound' ? ` (${statusNote(result)})` : ''}`
  }
  return check
}

function checkRegression(limit: CapacityRegression, result: CapacityResult, before: CapacityResult | undefined, baselinePath: string): GateCheck {
  const current = readCapacity(result, limit)
  const previous = before === undefined ? null : readCapacity(before, limit)
  const check: GateCheck = {
    kind: 'regression',
    name: `${limit.canonical} [${result.backendSpec}]`,
    expression: limit.expression,
    metric: limit.key,
    unit: limit.unit,
    passed: false,
    actual: current,
    limit: `at most -${formatPct(limit.maxWorsePct)} vs baseline`,
    baseline: previous,
    changePct: null,
  }
  if (before === undefined) {
    check.reason = `${baselinePath} has no capacity for ${result.backendSpec}`
    return check
  }
  // A lower bound on either side leaves the change unknown.
  for (const [side, r] of [['results', result], ['baseline', before]] as const) {
    if (r.status === 'lower-bound' || r.status === 'too-short') {
      check.reason = `the ${side} capacity of ${r.backendSpec} is ${statusNote(r)}: the change cannot be measured`
      return check
    }
  }
  const comparison = compareWithBaseline({...limit, biggerIsBetter: true}, current, previous)
  check.passed = comparison.passed
  check.changePct = comparison.changePct
  if (comparison.reason !== undefined) check.reason = comparison.reason
  return check
}
