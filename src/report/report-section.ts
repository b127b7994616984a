import type {TopLevelSpec} from './specs/common.js'

/** A table of the numbers behind a chart. Cells are plain text; html.ts escapes them. */
export interface ReportTable {
  caption?: string
  columns: ReportColumn[]
  rows: string[][]
}

export interface ReportColumn {
  label: string
  /** Right-aligned, tabular figures. */
  numeric?: boolean
  /** Monospace, may break anywhere: command lines and paths. */
  code?: boolean
}

/** One chart of the report, or the note saying why it was left out. */
export interface ChartSection {
  /** Stable id: the element id in the page and the SVG file name. */
  id: string
  title: string
  /** What the chart shows and how to read it (plain text). */
  description: string
  /** null when the data are absent: the chart is omitted and `omittedReason` is shown. */
  spec: TopLevelSpec | null
  omittedReason: string | null
  /** The summary table beside the chart. */
  table: ReportTable | null
  /** Every plotted point, in a collapsed block under the chart. */
  detailTable?: ReportTable | null
  /** Show the detail table open (text people must see without a click, such as verdict reasons). */
  detailOpen?: boolean
  /** Short lines under the table (plain text), e.g. the capacity of each backend. */
  notes?: string[]
  /** `below`: the table goes under the chart, full width (wide tables); default beside it. */
  layout?: 'side' | 'below'
}

export function omittedSection(id: string, title: string, description: string, reason: string): ChartSection {
  return {id, title, description, spec: null, omittedReason: reason, table: null, detailTable: null}
}

const noData = 'no data'

/** A table cell: thousands separators, `decimals` places below 1000, "no data" for null. */
export function formatCell(value: number | null | undefined, decimals = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return noData
  const abs = Math.abs(value)
  const digits = abs >= 1000 ? 0 : abs >= 100 ? Math.min(decimals, 1) : decimals
  return value.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits})
}

export function formatPercentCell(ratio: number | null | undefined, decimals = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return noData
  return `${(ratio * 100).toFixed(decimals)}%`
}

/** Rounds for the data embedded in specs: enough digits for tooltips, fewer bytes. */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals
  return Math.round(value * f) / f
}
