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
}

/** The output of `tracebench claims` (claims.json), charted as verdicts, ratios and the crossover. */
export interface ReportClaims {
  report: ClaimsReport
  /** The claims.json it was read from, or null when built in memory. */
  path?: string | null
}
