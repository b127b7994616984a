import {TracebenchError} from '../common/errors.js'
import {decodeHistogram, mergeHistograms, summarizeUserSpeed} from './histograms.js'
import {areConcurrentShards, mergeHttpRuns} from './merge-http.js'
import {computeCounters} from './rates.js'
import {buildMetricEntry} from './recorder.js'
import {validateResults, type MetricEntry, type ResultsFile, type ResultsMetrics} from './results-file.js'
import {defaultMaxTimeseriesPoints, mergeTimeseries} from './timeseries.js'
import {runFingerprints, sameTrace, traceIdentity, verifyResults} from './verify-results.js'

export interface MergeOptions {
  /** Names of the parts in error messages (file paths); default `part 1`, `part 2`, ... */
  labels?: readonly string[]
  /** argv of the merge itself; default: the first part's command. */
  command?: string[]
  maxTimeseriesPoints?: number
}

/**
 * What must be equal for two results to describe the same configuration. Seeds may
 * differ (repeated runs), and so may the trace path and name (shards on different
 * machines mount the trace at different places): the trace itself is compared by
 * content (verify-results.ts), and its request counts may differ (time shards).
 */
const sameConfigurationPaths: ReadonlyArray<readonly string[]> = [
  ['schema'],
  ['schemaVersion'],
  ['tool', 'name'],
  ['tool', 'version'],
  ['trace', 'format'],
  ['trace', 'read', 'settings'],
  ['trace', 'rateScale'],
  ['trace', 'limit'],
  ['backend'],
  ['slos'],
  ['definitions'],
]

const latencyKeys = ['ttft', 'tpot', 'itl', 'e2e', 'queue', 'kvTransfer'] as const

/**
 * Merges results of one configuration (repeated runs, or shards of one replay) exactly:
 * histogram counts add, counters add, and rates are recomputed over the combined measured
 * time, which is the sum of the parts' window durations (overlapping repeated runs report
 * the mean rate per run, adjacent time shards the rate over their union). Refuses parts
 * of different configurations, naming the first field that differs.
 */
export function mergeResults(parts: readonly ResultsFile[], options: MergeOptions = {}): ResultsFile {
  if (parts.length === 0) throw new TracebenchError('cannot merge: no results given')
  const labels = parts.map((_, i) => options.labels?.[i] ?? `part ${i + 1}`)
  // A steady-state point's rates are what was delivered in its window (completions of any request), not totals over
  // a duration, so adding them up would not give a rate of anything.
  const steady = parts.findIndex((p) => p.steadyState !== undefined)
  if (steady >= 0) {
    throw new TracebenchError(`cannot merge: ${labels[steady]} is a steady-state measurement (a capacity point, or replay --steady-state): its rates belong to its own window; merge plain replays`, {
      code: 'MERGE_MISMATCH',
    })
  }
  parts.forEach((part, i) => verifyResults(part, labels[i] as string))
  const first = parts[0] as ResultsFile
  for (let i = 1; i < parts.length; i++) assertSameConfiguration(first, parts[i] as ResultsFile, labels[0] as string, labels[i] as string)
  const runIds = collectRunIds(parts, labels)

  const metrics = {} as ResultsMetrics
  for (const key of latencyKeys) metrics[key] = mergeEntries(parts.map((p) => p.metrics[key]), labels, key)
  const sendLagParts = parts.map((p) => p.metrics.sendLag)
  if (sendLagParts.some((e) => e !== undefined)) metrics.sendLag = mergeEntries(sendLagParts, labels, 'sendLag')

  let durationUs = 0
  let startUs = Number.POSITIVE_INFINITY
  let endUs = Number.NEGATIVE_INFINITY
  const reasons: Record<string, number> = {}
  const totals = {completed: 0, failed: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, preemptions: 0}
  let good: {requests: number; outputTokens: number} | null = first.counters.goodput === null ? null : {requests: 0, outputTokens: 0}
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as ResultsFile
    durationUs += Math.round(p.window.durationS * 1e6)
    startUs = Math.min(startUs, p.window.startUs)
    endUs = Math.max(endUs, p.window.endUs)
    const c = p.counters
    totals.completed += c.completed
    totals.failed += c.failed
    totals.inputTokens += c.inputTokens
    totals.outputTokens += c.outputTokens
    totals.cachedTokens += c.cachedTokens
    totals.preemptions += c.preemptions
    for (const [reason, n] of Object.entries(c.failureReasons)) reasons[reason] = (reasons[reason] ?? 0) + n
    if ((c.goodput === null) !== (good === null)) {
      throw new TracebenchError(`cannot merge: counters.goodput differs (${labels[0]}: ${good === null ? 'none' : 'computed'}, ${labels[i]}: ${c.goodput === null ? 'none' : 'computed'})`, {
        code: 'MERGE_MISMATCH',
      })
    }
    if (good !== null && c.goodput !== null) {
      good.requests += c.goodput.requests
      good.outputTokens += c.goodput.outputTokens
    }
  }

  // Real endpoints (issue 11): shards of one wall-clock run (same --start-at) overlap in time.
  const concurrent = areConcurrentShards(parts)
  if (concurrent) durationUs = endUs - startUs
  const http = mergeHttpRuns(parts, labels, concurrent)

  const merged: ResultsFile = {
    schema: first.schema,
    schemaVersion: first.schemaVersion,
    tool: first.tool,
    command: options.command ?? first.command,
    seed: first.seed,
    trace: first.trace,
    backend: first.backend,
    slos: first.slos,
    definitions: first.definitions,
    window: {startUs, endUs, durationS: durationUs / 1e6},
    counters: computeCounters({...totals, failureReasons: reasons, good}, durationUs),
    metrics,
    userSpeed: summarizeUserSpeed(decodeHistogram(metrics.tpot.histogram)),
    timeseries: mergeTimeseries(
      parts.map((p) => p.timeseries),
      options.maxTimeseriesPoints ?? defaultMaxTimeseriesPoints,
    ),
    parts: parts.reduce((n, p) => n + (p.parts ?? 1), 0),
    seeds: parts.flatMap((p) => p.seeds ?? [p.seed]),
    runIds,
  }
  if (http !== undefined) merged.http = http
  return validateResults(merged, 'merged results')
}

function mergeEntries(entries: ReadonlyArray<MetricEntry | undefined>, labels: readonly string[], key: string): MetricEntry {
  const histograms = []
  let clamped = 0
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]
    if (e === undefined) continue
    histograms.push(decodeHistogram(e.histogram, `${labels[i]}: metrics.${key}.histogram`))
    clamped += e.clampedCount
  }
  return buildMetricEntry(mergeHistograms(...histograms), clamped)
}

/**
 * The fingerprints of every run in the parts; refuses a run that appears twice (the same
 * file given twice, or a merged file merged again with one of its parts).
 */
function collectRunIds(parts: readonly ResultsFile[], labels: readonly string[]): string[] {
  const seen = new Map<string, string>()
  for (let i = 0; i < parts.length; i++) {
    for (const id of runFingerprints(parts[i] as ResultsFile)) {
      const other = seen.get(id)
      if (other !== undefined) {
        const where = other === labels[i] ? `${other} holds it twice` : `${other} and ${labels[i]} both hold it`
        throw new TracebenchError(`cannot merge: the same run is given twice (${where}); merging it again would count its requests twice`, {
          code: 'MERGE_MISMATCH',
          suggestions: ['merge each run once: repeated runs need different seeds (--seed) or different measurements'],
        })
      }
      seen.set(id, labels[i] as string)
    }
  }
  return [...seen.keys()]
}

/** Throws `cannot merge: <path> differs (a: x, b: y)` for the first configuration field that differs. */
export function assertSameConfiguration(a: ResultsFile, b: ResultsFile, labelA: string, labelB: string): void {
  if (!sameTrace(a, b)) {
    const show = (r: ResultsFile): string => {
      const id = traceIdentity(r)
      return id.kind === 'sha256' ? `${r.trace.name}, sha256 ${id.value.slice(0, 12)}...` : `${r.trace.name}, no content hash`
    }
    throw new TracebenchError(`cannot merge: the traces differ (${labelA}: ${show(a)}; ${labelB}: ${show(b)})`, {
      code: 'MERGE_MISMATCH',
      suggestions: ['merge only results of the same trace content; a trace is identified by the SHA-256 of its file, not by its name'],
    })
  }
  for (const path of sameConfigurationPaths) {
    const diff = findDifference(getPath(a, path), getPath(b, path), path.join('.'))
    if (diff !== null) {
      throw new TracebenchError(`cannot merge: ${diff.path} differs (${labelA}: ${formatValue(diff.a)}, ${labelB}: ${formatValue(diff.b)})`, {
        code: 'MERGE_MISMATCH',
        suggestions: ['merge only results of the same trace, rate scale, backend configuration, model, SLOs and tracebench version'],
      })
    }
  }
}

function getPath(value: unknown, path: readonly string[]): unknown {
  let v = value
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined
  return v
}

/** The first differing leaf between two JSON values, in key order, or null when deeply equal. */
export function findDifference(a: unknown, b: unknown, path: string): {path: string; a: unknown; b: unknown} | null {
  if (Object.is(a, b)) return null
  if (Array.isArray(a) && Array.isArray(b)) {
    // Lists of different lengths (SLOs, seeds) read better whole than as one missing element.
    if (a.length !== b.length) return {path, a, b}
    const n = a.length
    for (let i = 0; i < n; i++) {
      const d = findDifference(a[i], b[i], `${path}[${i}]`)
      if (d !== null) return d
    }
    return null
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    for (const key of keys) {
      const d = findDifference(a[key], b[key], path === '' ? key : `${path}.${key}`)
      if (d !== null) return d
    }
    return null
  }
  return {path, a, b}
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function formatValue(v: unknown): string {
  if (v === undefined) return '(absent)'
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
