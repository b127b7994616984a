import type {MetricUnit} from '../metrics/definitions.js'
import type {ResultsFile} from '../metrics/results-file.js'
import {evaluateSlo, readMetricValue} from '../metrics/read-metric.js'
import {sameTrace} from '../metrics/verify-results.js'
import type {Slo} from '../metrics/slo.js'
import {compareWithBaseline, formatPct, type RegressionLimit} from './regression-limit.js'

/**
 * A CI gate over one results file: threshold expressions (the SLO grammar) and
 * regression limits against a baseline results file. Parsing happens before this
 * (parseSlo, parseRegressionLimit), so a malformed expression fails before any file is
 * read; this module only evaluates. A metric with no data fails, with that reason.
 */

export interface GateCheck {
  /** `harness`: a real-endpoint run that is not a measurement (fails closed, whatever the thresholds). */
  kind: 'threshold' | 'regression' | 'harness'
  /** The check in canonical form: `ttft.p99<300ms`, `tpot.p90:+10%`. */
  name: string
  /** As the user wrote it. */
  expression: string
  /** The metric reference: `ttft.p99`. */
  metric: string
  unit: MetricUnit
  passed: boolean
  /** Measured value in `unit`, null when there is no data. */
  actual: number | null
  /** The limit in words: `< 300 ms`, `at most +10% vs baseline`. */
  limit: string
  /** Regression checks: the baseline's value and the signed change in percent. */
  baseline?: number | null
  changePct?: number | null
  /** Why it failed (absent when it passed). */
  reason?: string
}

export interface GateFileInfo {
  path: string
  trace: string
  backend: string
  model: string
  rateScale: number
  seed: number
}

export interface GateReport {
  passed: boolean
  results: GateFileInfo
  baseline: GateFileInfo | null
  checks: GateCheck[]
  failed: number
  /** Things a reader should know that do not fail the gate (a baseline of another trace). */
  warnings: string[]
}

export interface GateInput {
  results: ResultsFile
  resultsPath: string
  thresholds: readonly Slo[]
  baseline?: ResultsFile
  baselinePath?: string
  regressions?: readonly RegressionLimit[]
}

export function evaluateGate(input: GateInput): GateReport {
  const checks: GateCheck[] = [...harnessChecks(input.results, 'results')]
  if (input.baseline !== undefined) checks.push(...harnessChecks(input.baseline, 'baseline'))
  for (const slo of input.thresholds) checks.push(checkThreshold(slo, input.results))
  const regressions = input.regressions ?? []
  if (regressions.length > 0 && input.baseline === undefined) {
    throw new Error('internal: regression limits need a baseline results file')
  }
  for (const limit of regressions) checks.push(checkRegression(limit, input.results, input.baseline as ResultsFile))
  const failed = checks.filter((c) => !c.passed).length
  return {
    passed: failed === 0,
    results: describeFile(input.results, input.resultsPath),
    baseline: input.baseline === undefined ? null : describeFile(input.baseline, input.baselinePath ?? 'baseline'),
    checks,
    failed,
    warnings: input.baseline === undefined ? [] : compareConfigurations(input.results, input.baseline),
  }
}

/**
 * Fail closed: a real-endpoint run whose harness fell behind, or that was interrupted, is
 * not a measurement, so no threshold or regression check can pass it.
 */
function harnessChecks(results: ResultsFile, which: 'results' | 'baseline'): GateCheck[] {
  const harness = results.http?.harness
  if (harness === undefined || harness.valid) return []
  return [
    {
      kind: 'harness',
      name: `${which}.harness.valid`,
      expression: `${which} is a valid measurement`,
      metric: 'harness.valid',
      unit: 'count',
      passed: false,
      actual: null,
      limit: 'a valid run',
      reason: `invalid run (${harness.invalidReasons.join('; ')})`,
    },
  ]
}

function checkThreshold(slo: Slo, results: ResultsFile): GateCheck {
  const evaluation = evaluateSlo(slo, results)
  const check: GateCheck = {
    kind: 'threshold',
    name: slo.canonical,
    expression: slo.expression,
    metric: slo.key,
    unit: slo.unit,
    passed: evaluation.passed,
    actual: evaluation.actual,
    limit: `${slo.op} ${formatThreshold(slo.threshold, slo.unit)}`,
  }
  if (!evaluation.passed) {
    check.reason = evaluation.reason === 'no data' ? `no data: ${evaluation.detail ?? `${slo.key} has no data`}` : (evaluation.reason ?? 'failed')
  }
  return check
}

function checkRegression(limit: RegressionLimit, results: ResultsFile, baseline: ResultsFile): GateCheck {
  const current = readMetricValue(results, limit)
  const before = readMetricValue(baseline, limit)
  const comparison = compareWithBaseline(limit, current, before)
  const check: GateCheck = {
    kind: 'regression',
    name: limit.canonical,
    expression: limit.expression,
    metric: limit.key,
    unit: limit.unit,
    passed: comparison.passed,
    actual: current,
    limit: `at most ${limit.biggerIsBetter ? '-' : '+'}${formatPct(limit.maxWorsePct)} vs baseline`,
    baseline: before,
    changePct: comparison.changePct,
  }
  if (comparison.reason !== undefined) check.reason = comparison.reason
  return check
}

function describeFile(results: ResultsFile, path: string): GateFileInfo {
  return {path, trace: results.trace.name, backend: results.backend.name, model: results.backend.model, rateScale: results.trace.rateScale, seed: results.seed}
}

/** A baseline of another trace, backend, model or load is allowed (that may be the point) but worth saying. */
function compareConfigurations(results: ResultsFile, baseline: ResultsFile): string[] {
  const warnings: string[] = []
  if (!sameTrace(results, baseline)) {
    const name = results.trace.name === baseline.trace.name ? `${results.trace.name}, other content` : `${baseline.trace.name} vs ${results.trace.name}`
    warnings.push(`the baseline has another trace (${name})`)
  }
  const pairs: Array<[string, unknown, unknown]> = [
    ['backend', results.backend.name, baseline.backend.name],
    ['model', results.backend.model, baseline.backend.model],
    ['rate scale', results.trace.rateScale, baseline.trace.rateScale],
    ['SLOs', results.slos.join(', '), baseline.slos.join(', ')],
  ]
  for (const [what, now, before] of pairs) {
    if (now !== before) warnings.push(`the baseline has another ${what} (${String(before)} vs ${String(now)})`)
  }
  return warnings
}

/** `300 ms`, `0.95`, `5000 tok/s`. */
export function formatThreshold(value: number, unit: MetricUnit): string {
  const shown = String(Number(value.toPrecision(12)))
  return unit === 'ratio' || unit === 'count' ? shown : `${shown} ${unit}`
}

/** A measured value for tables: null as "no data", otherwise up to 6 significant digits. */
export function formatMeasured(value: number | null | undefined, unit: MetricUnit): string {
  if (value === null || value === undefined) return 'no data'
  const shown = String(Number(value.toPrecision(6)))
  return unit === 'ratio' || unit === 'count' ? shown : `${shown} ${unit}`
}
