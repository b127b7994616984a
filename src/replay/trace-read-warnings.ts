import type {ResultsFile} from '../metrics/results-file.js'
import {describeReadWarnings} from '../traces/trace-read-stats.js'

/**
 * What the trace readers of some replays skipped, dropped, sorted or flagged, from their
 * results files, in the words `trace inspect` uses; each message once, however many
 * points of a sweep read the same file.
 */
export function traceReadWarnings(results: readonly ResultsFile[]): string[] {
  const warnings = new Set<string>()
  for (const r of results) {
    const read = r.trace.read
    if (read === undefined || read === null) continue
    for (const warning of describeReadWarnings({...read, file: r.trace.path})) warnings.add(warning)
  }
  return [...warnings]
}
