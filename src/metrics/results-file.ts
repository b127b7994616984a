import {readFileSync} from 'node:fs'
import {z} from 'zod'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchError} from '../common/errors.js'
import {readTextFile} from '../common/read-text-file.js'
import {metricDefinitions, type MetricDefinition, type MetricId} from './definitions.js'
import {decodeHistogram} from './histograms.js'
import {canonicalSloList, type Slo} from './slo.js'
import {metricSummarySchema, userSpeedSchema} from './summary-schema.js'

export {metricSummarySchema, userSpeedSchema, type MetricSummary, type UserSpeedSummary} from './summary-schema.js'

/**
 * The results file: what one replay (or a merge of several) measured, with everything
 * needed to interpret and merge it. Field-by-field documentation is in docs/metrics.md.
 * No wall-clock timestamps: the same trace, backend and seed give a byte-identical file.
 *
 * Bump `resultsSchemaVersion` on any change that an older reader would misread; readers
 * refuse other versions with a clear message rather than guessing.
 */
export const resultsSchemaId = 'tracebench.results'
export const resultsSchemaVersion = 1

const count = z.number().int().nonnegative()
const nullableNumber = z.number().nullable()

export const metricEntrySchema = metricSummarySchema.extend({
  /** HDR histogram of the values in integer microseconds, compressed base64 (V2) encoding. */
  histogram: z.string(),
  /** Values above the histogram's highest trackable value, recorded as that value. */
  clampedCount: count,
})

const metricDefinitionSchema = z.strictObject({
  id: z.string(),
  unit: z.string(),
  description: z.string(),
  formula: z.string(),
  percentiles: z.array(z.string()),
  aggregations: z.array(z.string()),
  perRequest: z.boolean(),
  biggerIsBetter: z.boolean(),
})

export const footprintSchema = z.strictObject({
  systems: z.number().nonnegative(),
  chips: z.number().nonnegative(),
  racks: z.number().nonnegative(),
  /** Exact racks before rounding up (systems / systems per rack, summed over pools); optional in older files. */
  rackFraction: z.number().nonnegative().optional(),
  kW: z.number().nonnegative(),
  usdPerHour: z.number().nonnegative().nullable(),
})

/** What the trace reader did with the file's rows: the settings it read with and the rows it skipped, dropped, sorted or flagged. */
export const traceReadSchema = z.strictObject({
  /** The reader flags: `format` forced (null: detected), --skip-invalid, --strict, --include-failed, --reorder-window. */
  settings: z.strictObject({
    format: z.string().nullable(),
    skipInvalid: z.boolean(),
    strict: z.boolean(),
    includeFailed: z.boolean(),
    reorderWindowRows: count,
  }),
  compressed: z.boolean(),
  /** Data rows parsed (not the header, not blank lines). */
  rowsRead: count,
  /** Invalid rows skipped under --skip-invalid, and the first messages. */
  rowsSkipped: count,
  skippedExamples: z.array(z.string()),
  /** BurstGPT failed requests left out (default) or kept (--include-failed). */
  failedRowsExcluded: count,
  failedRowsIncluded: count,
  /** Rows out of time order, sorted into place. */
  reorderedRows: count,
  /** Rows asking for 0 output tokens (kept; --strict rejects them). */
  zeroOutputRows: count,
  /** False when the replay stopped reading early (--limit): the counts cover the rows read. */
  complete: z.boolean(),
})

export const resultsTraceSchema = z.strictObject({
  path: z.string(),
  name: z.string(),
  format: z.string(),
  requests: count,
  sessions: count,
  /** The trace's own span (first to last arrival) in seconds, before rate scaling. */
  durationS: z.number().nonnegative(),
  rateScale: z.number().positive(),
  /**
   * Requests per second offered after rate scaling: requests / durationS x rateScale; null
   * when the span is empty. Optional: older files do not have it.
   */
  offeredRatePerS: z.number().nonnegative().nullable().optional(),
  limit: count.nullable(),
  summary: z.record(z.string(), z.unknown()).optional(),
  // --- trace identity (issue 13, verified results): optional, older files lack it ---
  /** SHA-256 of the trace file's bytes, as `sha256sum` prints it; null for a synthesized trace. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, {error: 'expected 64 lowercase hexadecimal digits'})
    .nullable()
    .optional(),
  /** What the reader skipped, dropped, sorted or flagged (issue 13); null for a synthesized trace. */
  read: traceReadSchema.nullable().optional(),
})

export const resultsBackendSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(['simulated', 'http']),
  model: z.string(),
  description: z.string(),
  footprint: footprintSchema,
  /** The resolved configuration (preset plus overrides): two files merge only when these are equal. */
  config: z.unknown(),
})

export const goodputCountersSchema = z.strictObject({
  requests: count,
  outputTokens: count,
  requestsPerS: nullableNumber,
  outputTokensPerS: nullableNumber,
  ratio: nullableNumber,
})

export const countersSchema = z.strictObject({
  requests: count,
  completed: count,
  failed: count,
  /** Failure reason code -> count, keys sorted. */
  failureReasons: z.record(z.string(), count),
  inputTokens: count,
  outputTokens: count,
  cachedTokens: count,
  preemptions: count,
  outputTokensPerS: nullableNumber,
  requestsPerS: nullableNumber,
  /** null when the run had no SLOs. */
  goodput: goodputCountersSchema.nullable(),
})

export const windowSchema = z.strictObject({
  startUs: z.number().int(),
  endUs: z.number().int(),
  /** Measured time in seconds; for a merged file, the sum of the parts' durations. */
  durationS: z.number().nonnegative(),
})

export const metricsSchema = z.strictObject({
  ttft: metricEntrySchema,
  tpot: metricEntrySchema,
  itl: metricEntrySchema,
  e2e: metricEntrySchema,
  queue: metricEntrySchema,
  kvTransfer: metricEntrySchema,
  sendLag: metricEntrySchema.optional(),
})

export const timeseriesSchema = z
  .strictObject({
    /** Width of one point in seconds (null when there are no points). */
    bucketS: nullableNumber,
    /** Start of each point, seconds on the replay clock. */
    tS: z.array(z.number()),
    /** Largest queue depth seen in the point. */
    queueDepth: z.array(z.number()),
    /** Time-weighted mean running batch size in the point. */
    batchSize: z.array(z.number()),
    /** Largest KV-cache use (fraction 0..1) in the point. */
    kvUsage: z.array(z.number()),
  })
  .refine((t) => t.queueDepth.length === t.tS.length && t.batchSize.length === t.tS.length && t.kvUsage.length === t.tS.length, {
    message: 'tS, queueDepth, batchSize and kvUsage must have the same length',
  })

// --- Real endpoints (issue 11): what an HTTP replay adds. Optional; absent for simulations. ---

/** How the harness did: the evidence that the client was not the bottleneck (see README, "What the harness certifies"). */
export const harnessSchema = z.strictObject({
  /** False when the client fell behind or the run was interrupted: the numbers are not a measurement, and `gate` fails. */
  valid: z.boolean(),
  invalidReasons: z.array(z.string()),
  interrupted: z.boolean(),
  thresholds: z.strictObject({maxSendLagP99Ms: z.number().nonnegative(), minAchievedRatio: z.number().nonnegative()}),
  /** Actual send minus scheduled send (or closed-loop release), every request sent after warm-up. */
  sendLag: metricEntrySchema,
  /** First content chunk minus the actual send (TTFT without the client's own lag). */
  ttftFromSend: metricEntrySchema,
  scheduled: count,
  sent: count,
  /** Scheduled but never sent (duration limit, interrupt). */
  notSent: count,
  warmup: count,
  /** Requests scheduled per second of scheduled span, and sent per second of actual send span. */
  offeredRatePerS: nullableNumber,
  achievedRatePerS: nullableNumber,
  achievedRatio: nullableNumber,
  concurrency: z.number().int().positive().nullable(),
  connectionsPerWorker: z.number().int().positive(),
  /** Requests that found every connection of their worker busy and queued in the client. */
  waitedForConnection: count,
  workers: z.array(
    z.strictObject({
      shard: z.string(),
      index: count,
      requests: count,
      eventLoopDelayMs: z.strictObject({p50: z.number(), p99: z.number(), max: z.number()}),
      cpuUserS: z.number().nonnegative(),
      cpuSystemS: z.number().nonnegative(),
      /** Event-loop utilization: the share of the run the thread was busy. */
      utilization: z.number().nonnegative(),
      peakInFlight: count,
    }),
  ),
})

/** Token accounting: what was asked for, what the server reported, and how the stream carried it. */
export const tokenAccountingSchema = z.strictObject({
  tokenizer: z.string(),
  /** Over completed requests: what the prompts were built to hold (content only) and the max_tokens asked. */
  intended: z.strictObject({inputTokens: count, outputTokens: count}),
  /** Over completed requests whose stream carried `usage`. */
  server: z.strictObject({requests: count, inputTokens: count, outputTokens: count}),
  /** Server minus intended, over the requests with usage (a chat template adds prompt tokens; an early stop removes output). */
  difference: z.strictObject({inputTokens: z.number().int(), outputTokens: z.number().int()}),
  /** Completed requests that got fewer output tokens than asked. */
  shortAnswers: count,
  chunks: z.strictObject({events: count, content: count, tokens: count, maxTokensPerChunk: count, multiTokenChunks: count}),
})

export const httpRunSchema = z.strictObject({
  endpoint: z.strictObject({url: z.string(), api: z.string(), model: z.string()}),
  /** `--shard i/n` of this file (merged files list every part) and `--start-at` as given. */
  shards: z.array(z.string()),
  startAt: z.string().nullable(),
  harness: harnessSchema,
  tokens: tokenAccountingSchema,
})
export type HarnessReport = z.infer<typeof harnessSchema>
export type TokenAccounting = z.infer<typeof tokenAccountingSchema>
export type HttpRunReport = z.infer<typeof httpRunSchema>
// --- end of real-endpoint block ---

// --- steady-state measurement (capacity points; owner: capacity search, replay/steady-state.ts) ---
/**
 * How a steady-state replay was measured. With it, `window` is the scored window, the
 * latencies, counts and goodput cover the requests that arrived in it, and
 * counters.requestsPerS / outputTokensPerS are what the backend delivered during it.
 */
export const steadyStateSchema = z.strictObject({
  /** Settings: the shortest window, the warm-up (simulated seconds) and the delivered share required. */
  minWindowS: z.number().positive(),
  warmupS: z.number().nonnegative(),
  minDeliveredRatio: z.number().positive(),
  /** Times the trace was repeated, trace seconds from one repetition to the next, requests replayed in all. */
  tiles: z.number().int().positive(),
  tilePeriodS: z.number().nonnegative(),
  tiledRequests: count,
  /** Added to every prefix hash id once per tile (0 without hash ids). */
  hashIdStride: z.number().int().nonnegative(),
  /** Scheduled arrivals in the window, and completions in it (of any request). */
  offeredRequests: count,
  deliveredRequests: count,
  offeredRequestsPerS: z.number().nonnegative(),
  deliveredRequestsPerS: z.number().nonnegative(),
  /** delivered / offered; null when nothing was offered in the window. */
  deliveredRatio: nullableNumber,
  /** Delivered at least minDeliveredRatio of the offered rate. */
  sustained: z.boolean(),
  /** Finished requests not scored: arrived during the warm-up, or after the window (session turns of the tail). */
  excludedWarmup: count,
  excludedAfterWindow: count,
  /**
   * The load was already not sustained when the window ended, so the replay stopped there
   * instead of draining its backlog: unfinishedScored requests that arrived in the window
   * were still in flight and are not in the histograms (their latencies would only be longer).
   */
  stoppedAtWindowEnd: z.boolean(),
  unfinishedScored: count,
  /** Why the load was not sustained, for people; null when it was. */
  reason: z.string().nullable(),
})

export const resultsFileSchema = z.strictObject({
  schema: z.literal(resultsSchemaId),
  schemaVersion: z.literal(resultsSchemaVersion),
  tool: z.strictObject({name: z.string(), version: z.string()}),
  command: z.array(z.string()),
  seed: z.number().int(),
  trace: resultsTraceSchema,
  backend: resultsBackendSchema,
  /** SLO expressions in canonical form (see slo.ts), sorted. */
  slos: z.array(z.string()),
  definitions: z.record(z.string(), metricDefinitionSchema),
  window: windowSchema,
  counters: countersSchema,
  metrics: metricsSchema,
  userSpeed: userSpeedSchema,
  timeseries: timeseriesSchema,
  /** How many results were merged into this one (absent for a single run). */
  parts: z.number().int().positive().optional(),
  /** The seeds of the merged parts, in merge order (absent for a single run). */
  seeds: z.array(z.number().int()).optional(),
  /** Real endpoints only (issue 11): harness self-certification and token accounting. */
  http: httpRunSchema.optional(),
  /** Steady-state measurement (see steadyStateSchema); absent for a plain replay. */
  steadyState: steadyStateSchema.optional(),
  // --- merge bookkeeping (issue 13): optional, older merged files lack it ---
  /** Fingerprints of the single runs merged into this file (verify-results.ts), so a run is never merged twice. */
  runIds: z.array(z.string()).optional(),
})

export type ResultsFile = z.infer<typeof resultsFileSchema>
export type MetricEntry = z.infer<typeof metricEntrySchema>
export type ResultsTrace = z.infer<typeof resultsTraceSchema>
export type TraceReadRecord = z.infer<typeof traceReadSchema>
export type ResultsBackend = z.infer<typeof resultsBackendSchema>
export type Footprint = z.infer<typeof footprintSchema>
export type Counters = z.infer<typeof countersSchema>
export type GoodputCounters = z.infer<typeof goodputCountersSchema>
export type ResultsWindow = z.infer<typeof windowSchema>
export type ResultsMetrics = z.infer<typeof metricsSchema>
export type Timeseries = z.infer<typeof timeseriesSchema>
export type SteadyStateRecord = z.infer<typeof steadyStateSchema>

/** What the recorder measures; the rest of a results file describes the run. */
export type MetricsSnapshot = Pick<ResultsFile, 'window' | 'counters' | 'metrics' | 'userSpeed' | 'timeseries'>

export interface BuildResultsInput {
  /** Defaults to this package's name and version. */
  tool?: {name: string; version: string}
  /** The command line (argv after the binary), e.g. ['replay', 'chat.jsonl', '--backend', 'cs3']. */
  command: string[]
  seed: number
  trace: ResultsTrace
  backend: ResultsBackend
  slos: readonly (Slo | string)[]
  snapshot: MetricsSnapshot
  /** Real endpoints: the harness and token-accounting block, and the definitions as they apply there. */
  http?: HttpRunReport
  definitions?: Record<string, MetricDefinition>
  steadyState?: SteadyStateRecord
}

let cachedTool: {name: string; version: string} | undefined

/** This package's name and version, read once from package.json (works from src/ and dist/). */
export function readToolInfo(): {name: string; version: string} {
  if (cachedTool === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {name?: string; version?: string}
    cachedTool = {name: pkg.name ?? 'tracebench', version: pkg.version ?? '0.0.0'}
  }
  return cachedTool
}

/** The definitions block every results file embeds. */
export function exportDefinitions(): Record<MetricId, MetricDefinition> {
  return structuredClone(metricDefinitions) as Record<MetricId, MetricDefinition>
}

export function buildResultsFile(input: BuildResultsInput): ResultsFile {
  const results: ResultsFile = {
    schema: resultsSchemaId,
    schemaVersion: resultsSchemaVersion,
    tool: input.tool ?? readToolInfo(),
    command: [...input.command],
    seed: input.seed,
    trace: input.trace,
    backend: input.backend,
    slos: canonicalSloList(input.slos),
    definitions: input.definitions ?? exportDefinitions(),
    window: input.snapshot.window,
    counters: input.snapshot.counters,
    metrics: input.snapshot.metrics,
    userSpeed: input.snapshot.userSpeed,
    timeseries: input.snapshot.timeseries,
  }
  if (input.http !== undefined) results.http = input.http
  if (input.steadyState !== undefined) results.steadyState = input.steadyState
  // Validate now so a producer bug surfaces at the replay, not when someone reads the file.
  return normalizeResults(results, 'results')
}

/**
 * Returns the results with keys in schema order (zod rebuilds objects in shape order) and
 * sorted record keys, so equal content always serializes to equal bytes.
 */
function normalizeResults(results: ResultsFile, label: string): ResultsFile {
  const parsed = resultsFileSchema.safeParse(results)
  if (!parsed.success) throw new Error(`internal: invalid results (${label}): ${formatIssues(parsed.error.issues)}`)
  const out = parsed.data
  out.counters.failureReasons = sortRecord(out.counters.failureReasons)
  if (out.trace.summary !== undefined) out.trace.summary = sortKeysDeep(out.trace.summary) as Record<string, unknown>
  out.backend.config = sortKeysDeep(out.backend.config)
  return out
}

/** Stable, 2-space JSON with a trailing newline. */
export function serializeResults(results: ResultsFile): string {
  return `${JSON.stringify(normalizeResults(results, 'serialize'), null, 2)}\n`
}

export async function writeResultsFile(path: string, results: ResultsFile): Promise<void> {
  await writeFileAtomic(path, serializeResults(results))
}

/** Reads and validates a results file; errors name the file and the field. */
export async function readResultsFile(path: string): Promise<ResultsFile> {
  return parseResultsText(await readTextFile(path, 'results file', 'INVALID_RESULTS'), path)
}

/** Validates results already in memory (a worker message, a JSON string); `label` names the source in errors. */
export function parseResultsText(text: string, label: string): ResultsFile {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw resultsError(`${label}: not valid JSON (${(error as Error).message})`)
  }
  return validateResults(data, label)
}

export function validateResults(data: unknown, label: string): ResultsFile {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || (data as {schema?: unknown}).schema !== resultsSchemaId) {
    throw resultsError(`${label}: not a tracebench results file (expected "schema": "${resultsSchemaId}" at the top level)`)
  }
  const version = (data as {schemaVersion?: unknown}).schemaVersion
  if (version !== resultsSchemaVersion) {
    throw resultsError(
      `${label}: schemaVersion ${JSON.stringify(version)} is not supported; this tracebench reads schemaVersion ${resultsSchemaVersion}` +
        (typeof version === 'number' && version > resultsSchemaVersion ? ' (the file was written by a newer tracebench)' : ''),
    )
  }
  const parsed = resultsFileSchema.safeParse(data)
  if (!parsed.success) throw resultsError(`${label}: invalid results file: ${formatIssues(parsed.error.issues)}`)
  const harness = parsed.data.http?.harness
  const entries: Array<[string, MetricEntry | undefined]> = [
    ...Object.entries(parsed.data.metrics).map(([key, entry]): [string, MetricEntry | undefined] => [`metrics.${key}`, entry]),
    ['http.harness.sendLag', harness?.sendLag],
    ['http.harness.ttftFromSend', harness?.ttftFromSend],
  ]
  for (const [path, entry] of entries) {
    if (entry === undefined) continue
    const histogram = decodeHistogram(entry.histogram, `${label}: ${path}.histogram`)
    if (histogram.totalCount !== entry.count) {
      throw resultsError(`${label}: ${path}.count is ${entry.count} but its histogram holds ${histogram.totalCount} values`)
    }
  }
  return parsed.data
}

function resultsError(message: string): TracebenchError {
  return new TracebenchError(message, {code: 'INVALID_RESULTS'})
}

/** `metrics.ttft.p90: expected number, received string`, at most three issues. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''
  return shown.join('; ') + more
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)'
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out
}

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {}
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T
  return out
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep((value as Record<string, unknown>)[key])
    return out
  }
  return value
}
