import {createHash} from 'node:crypto'
import {TracebenchError} from '../common/errors.js'
import {decodeHistogram, summarizeHistogram, summarizeUserSpeed, type LatencyHistogram} from './histograms.js'
import {computeCounters} from './rates.js'
import {readResultsFile, type ResultsFile} from './results-file.js'

/*
 * Results files come from other machines, other versions and people's editors. Commands
 * that judge or combine them (gate, merge, compare) do not trust the numbers a file
 * states: every summary, per-user speed and rate is recomputed from the histograms and
 * counts the file carries, and a file whose stated numbers disagree is refused, naming
 * the field. Reading a metric then gives the number the data supports (read-metric.ts).
 * Histograms of another layout are refused when decoded (histograms.ts).
 */

const summaryFields = ['count', 'mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99', 'p999'] as const
const userSpeedFields = ['p10', 'p50', 'p90', 'mean'] as const

/** Reads a results file and checks that what it states agrees with its data. */
export async function readVerifiedResults(path: string): Promise<ResultsFile> {
  return verifyResults(await readResultsFile(path), path)
}

/**
 * Checks a (schema-valid) results file against its own data and returns it; throws a
 * user error naming `label` and the first field that disagrees.
 */
export function verifyResults(results: ResultsFile, label: string): ResultsFile {
  let tpot: LatencyHistogram | undefined
  for (const [key, entry] of Object.entries(results.metrics)) {
    if (entry === undefined) continue
    const histogram = decodeHistogram(entry.histogram, `${label}: metrics.${key}.histogram`)
    if (key === 'tpot') tpot = histogram
    const recomputed = summarizeHistogram(histogram)
    for (const field of summaryFields) checkAgrees(label, `metrics.${key}.${field}`, entry[field], recomputed[field], 'its histogram')
  }
  const speed = summarizeUserSpeed(tpot ?? decodeHistogram(results.metrics.tpot.histogram))
  for (const field of userSpeedFields) checkAgrees(label, `userSpeed.${field}`, results.userSpeed[field], speed[field], 'the tpot histogram')
  verifyCounters(results, label)
  return results
}

function verifyCounters(results: ResultsFile, label: string): void {
  const c = results.counters
  const failed = Object.values(c.failureReasons).reduce((sum, n) => sum + n, 0)
  checkAgrees(label, 'counters.failed', c.failed, failed, 'the sum of counters.failureReasons')
  if (c.goodput !== null && c.goodput.requests > c.completed) {
    throw disagreement(`${label}: counters.goodput.requests is ${c.goodput.requests}, more than the ${c.completed} completed requests`)
  }
  const durationUs = Math.round(results.window.durationS * 1e6)
  const good = c.goodput === null ? null : {requests: c.goodput.requests, outputTokens: c.goodput.outputTokens}
  const expected = computeCounters({...c, good}, durationUs)
  checkAgrees(label, 'counters.requests', c.requests, expected.requests, 'completed + failed')
  const over = 'the counts over window.durationS'
  const steady = results.steadyState
  if (steady === undefined) {
    checkAgrees(label, 'counters.requestsPerS', c.requestsPerS, expected.requestsPerS, over)
    checkAgrees(label, 'counters.outputTokensPerS', c.outputTokensPerS, expected.outputTokensPerS, over)
  } else {
    // A steady-state point's throughput is what the backend delivered in its window, scored or not.
    const delivered = computeCounters({...c, completed: steady.deliveredRequests, good: null}, durationUs).requestsPerS
    checkAgrees(label, 'counters.requestsPerS', c.requestsPerS, delivered, 'steadyState.deliveredRequests over window.durationS')
  }
  if (c.goodput !== null && expected.goodput !== null) {
    checkAgrees(label, 'counters.goodput.requestsPerS', c.goodput.requestsPerS, expected.goodput.requestsPerS, over)
    checkAgrees(label, 'counters.goodput.outputTokensPerS', c.goodput.outputTokensPerS, expected.goodput.outputTokensPerS, over)
    checkAgrees(label, 'counters.goodput.ratio', c.goodput.ratio, expected.goodput.ratio, 'goodput requests / requests')
  }
}

function checkAgrees(label: string, field: string, stated: number | null, recomputed: number | null, source: string): void {
  if (stated === recomputed) return
  if (stated !== null && recomputed !== null && Math.abs(stated - recomputed) <= 1e-9 * Math.max(1, Math.abs(recomputed))) return
  throw disagreement(
    `${label}: ${field} is ${show(stated)}, but recomputed from ${source} it is ${show(recomputed)}; the file's numbers do not match its data (edited or corrupt), so it is not used`,
  )
}

function disagreement(message: string): TracebenchError {
  return new TracebenchError(message, {code: 'INVALID_RESULTS', suggestions: ['regenerate the file with tracebench (replay, sweep, capacity, merge) rather than editing it']})
}

const show = (x: number | null): string => (x === null ? 'null (no data)' : String(x))

/**
 * What identifies the trace a results file measured: the SHA-256 of the trace file's
 * bytes when the file records it (as `sha256sum` prints it), else its name (older files,
 * synthesized traces, whose name is their full specification).
 */
export function traceIdentity(results: ResultsFile): {kind: 'sha256' | 'name'; value: string} {
  const sha256 = results.trace.sha256
  return typeof sha256 === 'string' ? {kind: 'sha256', value: sha256} : {kind: 'name', value: results.trace.name}
}

/** Whether two results files measured the same trace content (by hash when both record one). */
export function sameTrace(a: ResultsFile, b: ResultsFile): boolean {
  const ia = traceIdentity(a)
  const ib = traceIdentity(b)
  return ia.kind === ib.kind ? ia.value === ib.value : a.trace.name === b.trace.name
}

/**
 * Fingerprints of the single runs a file holds: a merged file lists its parts' (`runIds`),
 * a single run is hashed from what it measured (seed, window, counters, histograms). Two
 * files sharing one measured the same run: merging them would count its requests twice.
 */
export function runFingerprints(results: ResultsFile): string[] {
  if (results.runIds !== undefined) return [...results.runIds]
  if (results.parts !== undefined && results.parts > 1) return []
  const hash = createHash('sha256')
  hash.update(JSON.stringify([results.seed, results.window, results.counters]))
  for (const [key, entry] of Object.entries(results.metrics)) if (entry !== undefined) hash.update(`${key}:${entry.histogram}`)
  return [hash.digest('hex').slice(0, 32)]
}
