import {isAbsolute, join} from 'node:path'
import {readResultsFile} from '../metrics/results-file.js'
import type {ReportRun} from '../report/report-inputs.js'
import type {ClaimsReport} from './claims-report.js'
import {latencyClaimMetrics} from './claims-schema.js'

/**
 * The replays behind the first latency claim (TTFT, TPOT or E2E), as report runs, so the
 * claims report shows the latency percentile curves and a replay timeline behind a
 * verdict, not only the ratio. One claim only: its workloads x (subject, baseline) keeps
 * the chart readable. Results files are read from the claims output directory.
 */
export async function readLatencyClaimRuns(report: ClaimsReport, outDir: string): Promise<ReportRun[]> {
  const claim = report.claims.find((c) => (latencyClaimMetrics as readonly string[]).includes(c.metric))
  if (claim === undefined) return []
  const runs: ReportRun[] = []
  for (const row of claim.rows) {
    for (const side of [row.subject, row.baseline]) {
      if (side === null || side.resultsFile === null) continue
      const path = isAbsolute(side.resultsFile) ? side.resultsFile : join(outDir, side.resultsFile)
      runs.push({results: await readResultsFile(path), path, label: `${row.workload}: ${side.label}`})
    }
  }
  return runs
}
