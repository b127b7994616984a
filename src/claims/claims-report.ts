import {writeFileAtomic} from '../common/atomic-write.js'
import type {Bound, Verdict} from './verdict.js'

/**
 * What `tracebench claims` produces: `claims.json` in --out and the --json output.
 * The report charts it, so the shape is versioned and documented field by field in
 * docs/claims.md ("claims.json"). Bump `claimsReportSchemaVersion` on any change an
 * older reader would misread; adding optional fields is not such a change.
 * No wall-clock times: the same claims file and seed give the same bytes.
 */
export const claimsReportSchemaId = 'tracebench.claims'
export const claimsReportSchemaVersion = 1

export interface ClaimsReport {
  schema: typeof claimsReportSchemaId
  schemaVersion: typeof claimsReportSchemaVersion
  tool: {name: string; version: string}
  /** The claims file as given on the command line. */
  claimsFile: string
  title: string
  description: string | null
  /** True when no gating row failed (see `gating`). */
  passed: boolean
  /** 0, or 98 (claimsNotSupported) when a gating row is not supported. */
  exitCode: number
  /** Which rows gate the exit code: `gate` (claims marked gate: true) or `strict` (every claim). */
  gating: 'gate' | 'strict'
  counts: {rows: number; supported: number; notSupported: number; inconclusive: number; gatingFailures: number}
  workloads: WorkloadReport[]
  claims: ClaimReport[]
}

export interface WorkloadReport {
  name: string
  description: string | null
  kind: 'trace' | 'synthesized'
  /** The trace replayed (synthesized workloads: the native JSONL written under --out), or null when unavailable. */
  path: string | null
  limit: number | null
  available: boolean
  /** Why it is unavailable (a missing optional trace). */
  unavailableReason: string | null
  /** Token statistics of the replayed part of the trace (after the limit). */
  tokens: {
    requests: number
    sessions: number
    perRequest: {input: number; output: number; total: number}
    perSession: {input: number; output: number; total: number; queries: number}
    /** Mean input tokens / mean output tokens: the prefill:decode mix. */
    inputOutputRatio: number | null
  } | null
}

export interface ClaimReport {
  id: string
  claim: string
  source: string
  note: string | null
  /** capacity, decode-speed, ttft, tpot, e2e, tokens-per-query. */
  metric: string
  /** The metric's settings as resolved (SLOs, floor, footprint, method, stat, count, per). */
  metricDetail: Record<string, unknown>
  /** One line: what is measured and how the ratio is oriented. */
  measures: string
  model: string | null
  subject: string | null
  baseline: string | null
  baselineWorkload: string | null
  /** Per-workload backends (labels) that replace subject/baseline on those workloads; null when none. */
  overrides?: Record<string, {subject: string | null; baseline: string | null}> | null
  /** A row is inconclusive when a side failed more than this share of its requests (always written; optional for older files). */
  maxFailedRatio?: number
  expected: {ratio: number} | {value: number}
  /** `x` for ratios, else the metric's unit (tok/s, tok/s per rack, ms, tokens). */
  unit: string
  tolerance: number
  gate: boolean
  rows: ClaimRow[]
  sensitivity: SensitivityReport | null
  /** The ratio against the subject's achieved KV-link bandwidth; absent in older files, null when the claim has none. */
  kvBandwidthSensitivity?: KvBandwidthSensitivityReport | null
}

export interface ClaimRow {
  workload: string
  /** True when the source makes the claim for this workload; false for a control. */
  claimed: boolean
  /** True when this row decides the exit code (claimed and gate: true, or --strict). */
  gating: boolean
  verdict: Verdict
  /** One line: why this verdict (the comparison, or why there is no number). */
  reason: string
  /** The measured ratio (unit `x`) or value, null when there is none. */
  measured: number | null
  /** Exact, or a bound (a capacity search that hit its bracket limit). */
  bound: Bound
  target: number
  /** target x (1 - tolerance) ("at least" claims) or target x (1 + tolerance) ("at most"). */
  threshold: number
  unit: string
  subject: SideReport | null
  baseline: SideReport | null
}

export interface SideReport {
  /** Backend name (or workload name for tokens-per-query). */
  label: string
  value: number | null
  unit: string
  bound: Bound
  /** The numbers behind the value: capacity point, footprint, tokens, step time. */
  detail: Record<string, unknown>
  /** Results file written under --out (relative to it), or null. */
  resultsFile: string | null
  /** Why there is no value (an error such as a model that does not fit). */
  error: string | null
}

export interface SensitivityReport {
  workload: string
  vary: 'input' | 'output'
  points: SensitivityPoint[]
  /** Mixes where the measured ratio crosses 1: disaggregation (or the subject) stops paying. */
  breakEven: Crossover[]
  /** Mixes where the measured ratio crosses the claimed target. */
  claimCrossing: Crossover[]
  /** One line for readers: what the sweep shows. */
  summary: string
}

/** What a sweep point measured: both sides, their ratio and its verdict. */
export interface SweepOutcome {
  subject: number | null
  baseline: number | null
  ratio: number | null
  bound: Bound
  verdict: Verdict
  reason: string
}

export interface SensitivityPoint extends SweepOutcome {
  factor: number
  /** The transformed trace (native JSONL, relative to --out when written there). */
  trace: string
  inputTokensMean: number
  outputTokensMean: number
  /** Mean input tokens / mean output tokens of the transformed workload. */
  inputOutputRatio: number
}

export interface KvBandwidthSensitivityReport {
  workload: string
  /** The subject's KV link (catalog name) and its line rate out of one prefill replica, bytes/s. */
  link: string
  lineRateBytesPerS: number
  /** The fraction the subject runs at without the sweep (the link's catalog efficiency, or the backend's setting). */
  defaultFraction: number
  points: KvBandwidthPoint[]
  /** One line for readers: how far the ratio moves, and where it crosses the claim. */
  summary: string
}

export interface KvBandwidthPoint extends SweepOutcome {
  /** Achieved fraction of the KV link's line rate. */
  fraction: number
  /** Achieved KV bandwidth out of one prefill replica, bytes/s. */
  achievedBytesPerS: number
  /** KV transfers that timed out on the subject side at the measured point. */
  kvTransferTimeouts: number
}

export interface Crossover {
  /** Input/output token ratio where the line crosses (log-log interpolation between the two points). */
  inputOutputRatio: number
  /** The crossed level: 1, or the target. */
  level: number
  /** `falls-below`: the ratio drops under the level as the input share grows; `rises-above`: the opposite. */
  direction: 'falls-below' | 'rises-above'
  /** The two sweep factors it lies between. */
  betweenFactors: [number, number]
}

export function serializeClaimsReport(report: ClaimsReport): string {
  return `${JSON.stringify(report, null, 2)}\n`
}

export async function writeClaimsReport(path: string, report: ClaimsReport): Promise<void> {
  await writeFileAtomic(path, serializeClaimsReport(report))
}
