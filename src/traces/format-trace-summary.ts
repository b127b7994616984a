import type {TraceInspection} from './inspect-trace.js'
import type {DistributionSummary} from './summarize-trace.js'

/** The human-readable table `trace inspect` prints. */
export function formatTraceInspection(inspection: TraceInspection): string {
  const lines: string[] = []
  const compressed = inspection.compressed ? ', gzip' : ''
  lines.push(`${inspection.file} (${inspection.format}${compressed})`)
  const facts: [string, string][] = [
    ['requests', formatCount(inspection.requests)],
    ['sessions', formatCount(inspection.sessions)],
    ['duration', `${inspection.durationS.toFixed(3)} s`],
    ['mean rate', inspection.ratePerS === null ? 'n/a (zero duration)' : `${formatRate(inspection.ratePerS)} req/s`],
    ['output/input', inspection.outputToInputRatio === null ? 'n/a' : inspection.outputToInputRatio.toFixed(4)],
    ['prefix reuse', formatPrefixReuse(inspection)],
  ]
  for (const [label, value] of facts) lines.push(`  ${label.padEnd(16)}${value}`)
  const rows: [string, DistributionSummary | null][] = [
    ['input tokens', inspection.inputTokens],
    ['output tokens', inspection.outputTokens],
    ['tokens/request', inspection.tokensPerRequest],
  ]
  if (inspection.turnsPerSession !== null) rows.push(['turns/session', inspection.turnsPerSession])
  const header = ['', 'mean', 'p50', 'p90', 'p99', 'min', 'max']
  const table = [header, ...rows.map(([label, d]) => (d === null ? [label, 'n/a'] : [label, ...[d.mean, d.p50, d.p90, d.p99, d.min, d.max].map(formatStat)]))]
  lines.push('')
  for (const row of table) {
    lines.push(`  ${(row[0] ?? '').padEnd(16)}${row.slice(1).map((cell) => cell.padStart(10)).join('')}`)
  }
  const notes: string[] = []
  if (inspection.skippedRows > 0) notes.push(`skipped ${inspection.skippedRows} invalid row(s)`)
  if (inspection.failedRowsExcluded > 0) notes.push(`excluded ${inspection.failedRowsExcluded} failed request(s)`)
  if (inspection.failedRowsIncluded > 0) notes.push(`includes ${inspection.failedRowsIncluded} failed request(s)`)
  if (inspection.reorderedRows > 0) notes.push(`sorted ${inspection.reorderedRows} out-of-order row(s)`)
  if (inspection.zeroOutputRows > 0) notes.push(`${inspection.zeroOutputRows} row(s) ask for 0 output tokens`)
  if (notes.length > 0) lines.push('', `  note: ${notes.join('; ')}`)
  return lines.join('\n')
}

function formatPrefixReuse(inspection: TraceInspection): string {
  const blocks = inspection.prefixBlocks
  if (inspection.prefixReuse === null || blocks === null) return 'n/a (no prefix hash ids)'
  const size = blocks.blockSize === null ? 'mixed block sizes' : `${blocks.blockSize}-token blocks`
  return `${(inspection.prefixReuse * 100).toFixed(1)}% (${formatCount(blocks.repeated)} of ${formatCount(blocks.references)} block references, ${size})`
}

function formatStat(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

function formatRate(value: number): string {
  return value >= 0.1 ? value.toFixed(3) : value.toPrecision(3)
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US')
}
