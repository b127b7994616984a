import {TracebenchError} from '../common/errors.js'
import {decodeHistogram, valuesAtPercentilesUs} from '../metrics/histograms.js'
import type {ResultsFile} from '../metrics/results-file.js'
import {readMetricValue} from '../metrics/read-metric.js'
import {parseMetricRef} from '../metrics/slo.js'
import {traceIdentity} from '../metrics/verify-results.js'
import type {RequestRecord} from '../replay/read-requests-log.js'
import {comparedDistributions, type ErrorLimit} from './error-limit.js'

/** One compared number: BASE, OTHER, and how far apart they are. */
export interface ComparisonRow {
  key: string
  unit: string
  base: number | null
  other: number | null
  /** other - base, in the unit. */
  difference: number | null
  /** (other - base) / |base| x 100. */
  relativePct: number | null
}

export interface RequestDifference {
  index: number
  baseTtftMs: number
  otherTtftMs: number
  baseE2eMs: number
  otherE2eMs: number
  /** The larger of the TTFT and E2E absolute differences (ms). */
  differenceMs: number
}

export interface ErrorCheck {
  limit: string
  key: string
  /** |other - base| (in the unit; percent for MAPE limits). */
  error: number | null
  /** What the limit allows for this pair of values. */
  allowed: number | null
  passed: boolean
  reason?: string
}

export interface FileSide {
  path: string
  trace: string
  backend: string
  kind: string
  model: string
  requests: number
  completed: number
}

export interface ComparisonReport {
  base: FileSide
  other: FileSide
  /** Whether the two files replay the same trace (by content), and what decided it. */
  sameTrace: boolean
  traceCheck: string
  /** Configuration that differs between the runs (backend, model, rate, seed, SLOs, limit). */
  configDifferences: string[]
  rows: ComparisonRow[]
  /** Mean absolute percentage error per metric over the percentiles in `mapePercentiles`. */
  mape: Record<string, number | null>
  mapePercentiles: readonly number[]
  /** When per-request logs were given: requests matched by index, MAPE per request, the most different ones. */
  requests: {matched: number; ttftMapePct: number | null; e2eMapePct: number | null; top: RequestDifference[]} | null
  checks: ErrorCheck[]
  /** Runs their own harness marked invalid (the client fell behind): not measurements, so no limit can pass. */
  invalidRuns: string[]
  passed: boolean
}

export interface CompareOptions {
  basePath: string
  otherPath: string
  limits?: readonly ErrorLimit[]
  /** Compare files of different traces anyway (the report still says they differ). */
  allowDifferentTraces?: boolean
  baseRequests?: readonly RequestRecord[]
  otherRequests?: readonly RequestRecord[]
  /** How many of the most different requests to list (default 10). */
  topRequests?: number
}

const percentileKeys = ['p50', 'p90', 'p99'] as const
const throughputKeys = ['throughput.outputTokensPerS', 'throughput.requestsPerS'] as const
/** Deciles plus the tail: MAPE weighs the whole distribution, not three points of it. */
export const mapePercentiles = [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99] as const

/**
 * Compares two results files of the same trace, one as the reference (BASE: a real run,
 * or the older revision) and one against it (OTHER): relative and absolute difference of
 * TTFT, TPOT, ITL and E2E at p50/p90/p99 and of throughput, MAPE per metric, the
 * requests that differ most when per-request logs are given, and the error limits.
 */
export function compareResults(base: ResultsFile, other: ResultsFile, options: CompareOptions): ComparisonReport {
  const trace = checkSameTrace(base, other)
  if (!trace.same && options.allowDifferentTraces !== true) {
    throw new TracebenchError(`${options.basePath} and ${options.otherPath} replay different traces (${trace.reason}); pass --allow-different-traces to compare them anyway`)
  }
  const rows: ComparisonRow[] = []
  for (const metric of comparedDistributions) {
    for (const aggregation of percentileKeys) rows.push(row(base, other, `${metric}.${aggregation}`, 'ms'))
  }
  rows.push(row(base, other, throughputKeys[0], 'tok/s'), row(base, other, throughputKeys[1], 'req/s'))
  const mape: Record<string, number | null> = {}
  for (const metric of comparedDistributions) mape[metric] = distributionMape(base, other, metric)
  const requests = options.baseRequests !== undefined && options.otherRequests !== undefined ? compareRequests(options.baseRequests, options.otherRequests, options.topRequests ?? 10) : null
  const invalidRuns = [
    ...invalidReasons(options.basePath, base),
    ...invalidReasons(options.otherPath, other),
  ]
  const checks = (options.limits ?? []).map((limit) => checkLimit(limit, rows, mape, base, other))
  if (checks.length > 0 && invalidRuns.length > 0) {
    checks.push({limit: 'valid runs', key: 'harness', error: null, allowed: null, passed: false, reason: invalidRuns.join('; ')})
  }
  return {
    base: describeSide(options.basePath, base),
    other: describeSide(options.otherPath, other),
    sameTrace: trace.same,
    traceCheck: trace.reason,
    configDifferences: configDifferences(base, other),
    rows,
    mape,
    mapePercentiles,
    requests,
    checks,
    invalidRuns,
    passed: checks.every((c) => c.passed),
  }
}

function invalidReasons(path: string, results: ResultsFile): string[] {
  const harness = results.http?.harness
  if (harness === undefined || harness.valid) return []
  return [`${path} is an invalid run (${harness.invalidReasons.join('; ') || 'interrupted'})`]
}

function row(base: ResultsFile, other: ResultsFile, key: string, unit: string): ComparisonRow {
  const ref = parseMetricRef(key)
  const b = readMetricValue(base, ref)
  const o = readMetricValue(other, ref)
  const difference = b === null || o === null ? null : o - b
  return {key, unit, base: b, other: o, difference, relativePct: difference === null || b === 0 ? null : (difference / Math.abs(b!)) * 100}
}

function distributionMape(base: ResultsFile, other: ResultsFile, metric: (typeof comparedDistributions)[number]): number | null {
  const b = base.metrics[metric]
  const o = other.metrics[metric]
  if (b.count === 0 || o.count === 0) return null
  const bv = valuesAtPercentilesUs(decodeHistogram(b.histogram, `BASE metrics.${metric}.histogram`), mapePercentiles)
  const ov = valuesAtPercentilesUs(decodeHistogram(o.histogram, `OTHER metrics.${metric}.histogram`), mapePercentiles)
  let sum = 0
  let n = 0
  for (let i = 0; i < bv.length; i++) {
    if (bv[i]! <= 0) continue
    sum += Math.abs(ov[i]! - bv[i]!) / bv[i]!
    n++
  }
  return n === 0 ? null : (sum / n) * 100
}

function checkLimit(limit: ErrorLimit, rows: readonly ComparisonRow[], mape: Record<string, number | null>, base: ResultsFile, other: ResultsFile): ErrorCheck {
  if (limit.ref.aggregation === 'mape') {
    const value = mape[limit.ref.metric] ?? null
    if (value === null) return {limit: limit.canonical, key: limit.ref.key, error: null, allowed: limit.maxRelativePct, passed: false, reason: 'no data'}
    const passed = value <= limit.maxRelativePct
    return {limit: limit.canonical, key: limit.ref.key, error: value, allowed: limit.maxRelativePct, passed, ...(passed ? {} : {reason: `MAPE ${value.toFixed(2)}% > ${limit.maxRelativePct}%`})}
  }
  const found = rows.find((r) => r.key === limit.ref.key) ?? row(base, other, limit.ref.key, '')
  if (found.base === null || found.other === null) {
    return {limit: limit.canonical, key: limit.ref.key, error: null, allowed: null, passed: false, reason: `no data in ${found.base === null ? 'BASE' : 'OTHER'}`}
  }
  const error = Math.abs(found.other - found.base)
  const allowed = (limit.maxRelativePct / 100) * Math.abs(found.base) + limit.absoluteMs
  const passed = error <= allowed
  return {limit: limit.canonical, key: limit.ref.key, error, allowed, passed, ...(passed ? {} : {reason: `off by ${round(error)} (${round(found.relativePct ?? 0)}%), allowed ${round(allowed)}`})}
}

/**
 * Whether two results files replay the same trace. Names and paths do not decide (a
 * trace may be renamed or copied); what the replay read does: the number of requests and
 * sessions, the trace's span and its mean input and output tokens.
 */
export function checkSameTrace(base: ResultsFile, other: ResultsFile): {same: boolean; reason: string} {
  // Files that record the trace file's SHA-256 are compared by it (verify-results.ts).
  const a = traceIdentity(base)
  const b = traceIdentity(other)
  if (a.kind === 'sha256' && b.kind === 'sha256') {
    if (a.value !== b.value) return {same: false, reason: `trace SHA-256 ${a.value.slice(0, 12)}... vs ${b.value.slice(0, 12)}...`}
    if (base.trace.limit !== other.trace.limit) return {same: false, reason: `limit ${String(base.trace.limit)} vs ${String(other.trace.limit)}`}
    return {same: true, reason: `same trace file content (SHA-256 ${a.value.slice(0, 12)}...)`}
  }
  const fields: Array<[string, unknown, unknown]> = [
    ['requests', base.trace.requests, other.trace.requests],
    ['sessions', base.trace.sessions, other.trace.sessions],
    ['span (s)', base.trace.durationS, other.trace.durationS],
    ['mean input tokens', base.trace.summary?.inputTokensMean, other.trace.summary?.inputTokensMean],
    ['mean output tokens', base.trace.summary?.outputTokensMean, other.trace.summary?.outputTokensMean],
    ['limit', base.trace.limit, other.trace.limit],
  ]
  const differing = fields.filter(([, a, b]) => !sameNumber(a, b))
  if (differing.length === 0) return {same: true, reason: `same content: ${base.trace.requests} requests, ${base.trace.sessions} sessions, span ${round(base.trace.durationS)} s, same mean token counts`}
  return {same: false, reason: differing.map(([name, a, b]) => `${name} ${String(a)} vs ${String(b)}`).join(', ')}
}

function sameNumber(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a))
  return a === b
}

function configDifferences(base: ResultsFile, other: ResultsFile): string[] {
  const out: string[] = []
  const pairs: Array<[string, unknown, unknown]> = [
    ['backend', base.backend.name, other.backend.name],
    ['backend kind', base.backend.kind, other.backend.kind],
    ['model', base.backend.model, other.backend.model],
    ['rate scale', base.trace.rateScale, other.trace.rateScale],
    ['seed', base.seed, other.seed],
    ['SLOs', base.slos.join(' '), other.slos.join(' ')],
    ['trace name', base.trace.name, other.trace.name],
  ]
  for (const [name, a, b] of pairs) if (!sameNumber(a, b)) out.push(`${name}: ${String(a) || '(none)'} vs ${String(b) || '(none)'}`)
  if (base.backend.kind === other.backend.kind && base.backend.name === other.backend.name && JSON.stringify(base.backend.config) !== JSON.stringify(other.backend.config)) {
    out.push('backend configuration: same name, different settings')
  }
  return out
}

function compareRequests(base: readonly RequestRecord[], other: readonly RequestRecord[], top: number): NonNullable<ComparisonReport['requests']> {
  const byIndex = new Map(other.filter((r) => r.completed).map((r) => [r.index, r]))
  const differences: RequestDifference[] = []
  let ttftSum = 0
  let ttftN = 0
  let e2eSum = 0
  let e2eN = 0
  for (const b of base) {
    const o = byIndex.get(b.index)
    if (!b.completed || o === undefined) continue
    const d = {
      index: b.index,
      baseTtftMs: b.ttftUs / 1000,
      otherTtftMs: o.ttftUs / 1000,
      baseE2eMs: b.e2eUs / 1000,
      otherE2eMs: o.e2eUs / 1000,
      differenceMs: Math.max(Math.abs(o.ttftUs - b.ttftUs), Math.abs(o.e2eUs - b.e2eUs)) / 1000,
    }
    differences.push(d)
    if (b.ttftUs > 0) {
      ttftSum += Math.abs(o.ttftUs - b.ttftUs) / b.ttftUs
      ttftN++
    }
    if (b.e2eUs > 0) {
      e2eSum += Math.abs(o.e2eUs - b.e2eUs) / b.e2eUs
      e2eN++
    }
  }
  differences.sort((a, b) => b.differenceMs - a.differenceMs || a.index - b.index)
  return {
    matched: differences.length,
    ttftMapePct: ttftN === 0 ? null : (ttftSum / ttftN) * 100,
    e2eMapePct: e2eN === 0 ? null : (e2eSum / e2eN) * 100,
    top: differences.slice(0, top),
  }
}

function describeSide(path: string, results: ResultsFile): FileSide {
  return {
    path,
    trace: results.trace.name,
    backend: results.backend.name,
    kind: results.backend.kind,
    model: results.backend.model,
    requests: results.counters.requests,
    completed: results.counters.completed,
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
