import type {ClaimsReport} from '../claims/claims-report.js'
import type {ComparisonReport} from '../compare/compare-results.js'
import type {ResultsFile} from '../metrics/results-file.js'
import type {SweepIndex} from '../parallel/sweep-index.js'

/**
 * What a report is built from. `collect-inputs.ts` fills this from files and folders; the
 * `claims` and `sweep` commands build it in memory and call `buildReport`/`writeReport`.
 * Every part is optional: a chart whose data are absent is left out with a note.
 */
export interface ReportInputs {
  /** Page title; defaults to a summary of what the report holds. */
  title?: string
  /** Single replays (or merged runs). Each is one point on the load and interactivity charts. */
  runs?: ReportRun[]
  /** Load sweeps: one results file per (backend, load) point. */
  sweeps?: ReportSweep[]
  /** Capacity search results (highest load meeting the SLOs), marked on the load chart. */
  capacity?: ReportCapacity[]
  /** Claim verdicts (from `tracebench claims`). */
  claims?: ReportClaims
  /** The command line that built the report (argv after the binary), shown in provenance. */
  command?: string[]
  // -- compare (issue 12): comparisons of two results files; their runs are in `runs` too
  comparisons?: ReportComparison[]
}

/** A comparison written by `tracebench compare --out`: the error table and its chart. */
export interface ReportComparison {
  report: ComparisonReport
  path?: string | null
}

export interface ReportRun {
  results: ResultsFile
  /** The file it was read from, or null when built in memory. */
  path?: string | null
  /** Legend label; defaults to the backend name, made unique across the report. */
  label?: string
}

export interface ReportSweep {
  /** Where the sweep came from (its folder or index file), for provenance. */
  path?: string | null
  /** The sweep's index (index.json), when there is one: its command line goes into the provenance. */
  index?: SweepIndex | null
  points: ReportRun[]
}

export interface ReportCapacity {
  /** Backend name, as in `results.backend.name` (the series the mark belongs to). */
  backend: string
  /** Offered load at capacity in requests per second, when known. */
  offeredReqPerS?: number | null
  /** Arrival-rate scale of the trace at capacity. */
  rateScale?: number | null
  /** Output tokens per second at capacity (the high-speed token capacity when the search had a per-user speed floor). */
  outputTokensPerS?: number | null
  /** SLO expressions the search held (canonical). */
  slos?: string[]
  /** The SLOs still held at the highest load tried: capacity is at least this. */
  lowerBound?: boolean
  path?: string | null
  // --- from a capacity.json (optional: marks built in memory have none; owner: capacity search) ---
  /** `found`, `not-reachable`, `lower-bound` or `too-short` (no number). */
  status?: string
  /** The search's one line for people: the answer, or why there is none. */
  message?: string
  /** Output tokens/s were those of requests meeting a per-user speed floor (high-speed token capacity). */
  highSpeed?: boolean
  /** The capacity's output tok/s per unit of footprint (null: unit absent or unpriced). */
  perFootprint?: {rack: number | null; kW: number | null; system: number | null; usdPerHour: number | null} | null
  /** The footprint as people read it (`24 systems, 84 chips, 4 racks, 182 kW`). */
  footprint?: string | null
  /** The share of the offered rate a point had to deliver to count as sustained. */
  minDeliveredRatio?: number | null
  /** Every point the search evaluated: the load offered and delivered in its window, and why it failed. */
  evaluations?: ReportCapacityPoint[]
  /** The command line of the search (argv after the binary), for the provenance. */
  command?: string[]
}

export interface ReportCapacityPoint {
  rateScale: number
  offeredReqPerS: number | null
  deliveredReqPerS: number | null
  /** Output tok/s delivered in the window, all requests and those meeting every SLO. */
  outputTokensPerS: number | null
  goodputOutputTokensPerS: number | null
  passed: boolean
  reasons: string[]
}

/** The output of `tracebench claims` (claims.json), charted as verdicts, ratios and the crossover. */
export interface ReportClaims {
  report: ClaimsReport
  /** The claims.json it was read from, or null when built in memory. */
  path?: string | null
}
