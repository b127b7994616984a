import {writeFileAtomic} from '../common/atomic-write.js'
import {renderReportHtml} from './html.js'
import {prepareRuns, type PreparedRun} from './prepare-runs.js'
import {renderProvenance} from './provenance.js'
import type {ReportInputs} from './report-inputs.js'
import type {ChartSection} from './report-section.js'
import {buildClaimsSection, buildCrossoverSection, buildKvBandwidthSection} from './sections/claims.js'
import {buildCapacityFootprintSection, buildCapacitySearchSection} from './sections/capacity.js'
import {buildComparisonSection} from './sections/comparison.js'
import {buildLatencySection} from './sections/latency.js'
import {buildInteractivitySection, buildThroughputLoadSection, listSeries} from './sections/load.js'
import {buildTimelineSection} from './sections/timeline.js'
import {readVendorScripts} from './vendor-scripts.js'

/**
 * Every chart section of a report, in page order: claims first when there are claims
 * (they are the question the report answers), otherwise the measurements first and the
 * claims notes last. Sections without data carry the note saying why.
 */
export function buildChartSections(inputs: ReportInputs, runs: readonly PreparedRun[] = prepareRuns(inputs)): ChartSection[] {
  const comparison = buildComparisonSection(inputs.comparisons)
  const measured = [
    buildLatencySection(runs),
    ...(comparison === null ? [] : [comparison]),
    buildThroughputLoadSection(runs, inputs.capacity ?? []),
    // Capacity searches are drawn when one was given (no "not drawn" note for a plain sweep).
    ...((inputs.capacity ?? []).length > 0 ? [buildCapacitySearchSection(inputs.capacity ?? []), buildCapacityFootprintSection(inputs.capacity ?? [])] : []),
    buildInteractivitySection(runs),
    buildTimelineSection(runs),
  ]
  const claims = [buildClaimsSection(inputs.claims), buildCrossoverSection(inputs.claims)]
  // Only claims files with a KV bandwidth sweep get its chart (no "not drawn" note for the others).
  if ((inputs.claims?.report.claims ?? []).some((c) => (c.kvBandwidthSensitivity ?? null) !== null)) claims.push(buildKvBandwidthSection(inputs.claims))
  const hasClaims = (inputs.claims?.report.claims.length ?? 0) > 0
  return hasClaims ? [...claims, ...measured] : [...measured, ...claims]
}

function describeInputs(inputs: ReportInputs, runs: readonly PreparedRun[]): {title: string; subtitle: string} {
  const backends = listSeries(runs)
  const traces = [...new Set(runs.map((r) => r.results.trace.name))]
  const claimCount = inputs.claims?.report.claims.length ?? 0
  const parts: string[] = []
  if (runs.length > 0) parts.push(`${runs.length} run${runs.length === 1 ? '' : 's'} of ${backends.length} backend${backends.length === 1 ? '' : 's'} (${backends.join(', ')}) on ${traces.join(', ')}`)
  if ((inputs.sweeps?.length ?? 0) > 0) parts.push(`${inputs.sweeps?.length} load sweep${inputs.sweeps?.length === 1 ? '' : 's'}`)
  const searched = [...new Set((inputs.capacity ?? []).filter((c) => c.status !== undefined).map((c) => c.backend))]
  if (searched.length > 0) parts.push(`capacity searches of ${searched.length} backend${searched.length === 1 ? '' : 's'} (${searched.join(', ')})`)
  if (claimCount > 0) parts.push(`${claimCount} claim${claimCount === 1 ? '' : 's'} checked`)
  const tool = runs[0]?.results.tool
  const subtitle = `${tool !== undefined ? `${tool.name} ${tool.version}` : 'tracebench'} report: ${parts.length > 0 ? parts.join('; ') : 'no inputs'}`
  const named = backends.length > 0 ? backends : searched
  const title = inputs.title ?? (claimCount > 0 ? `tracebench: ${inputs.claims?.report.title ?? 'claims'}` : named.length > 0 ? `tracebench: ${named.join(' vs ')}` : 'tracebench report')
  return {title, subtitle}
}

/** The report's HTML and its chart sections (drawn or with the reason they are not). */
export async function renderReport(inputs: ReportInputs): Promise<{html: string; sections: ChartSection[]}> {
  const runs = prepareRuns(inputs)
  const sections = buildChartSections(inputs, runs)
  const vendors = readVendorScripts()
  const {title, subtitle} = describeInputs(inputs, runs)
  const html = renderReportHtml({title, subtitle, sections, claims: inputs.claims, provenance: renderProvenance(runs, inputs, vendors), vendors})
  return {html, sections}
}

/**
 * The report as one self-contained HTML string: vega, vega-lite and vega-embed inlined,
 * the data inlined, no network request when opened from file://. The same inputs give
 * the same bytes (no timestamps).
 */
export async function buildReport(inputs: ReportInputs): Promise<string> {
  return (await renderReport(inputs)).html
}

/** Builds the report and writes it atomically to `path`. */
export async function writeReport(path: string, inputs: ReportInputs): Promise<{path: string; bytes: number; sections: ChartSection[]}> {
  const {html, sections} = await renderReport(inputs)
  await writeFileAtomic(path, html)
  return {path, bytes: Buffer.byteLength(html, 'utf8'), sections}
}
