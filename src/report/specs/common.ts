import type {TopLevelSpec} from 'vega-lite'

export type {TopLevelSpec}

export const vegaLiteSchemaUrl = 'https://vega.github.io/schema/vega-lite/v6.json'

/** Shared look: readable fonts, titles anchored left, legends below the plot. */
export const chartConfig = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  background: 'white',
  padding: 8,
  view: {stroke: '#d0d4da'},
  title: {anchor: 'start', fontSize: 15, fontWeight: 600, subtitleFontSize: 12, subtitleColor: '#555', offset: 10},
  axis: {labelFontSize: 11, labelOverlap: 'greedy', labelSeparation: 4, titleFontSize: 12, titleFontWeight: 500, gridColor: '#eceef1', domainColor: '#9aa0a6', tickColor: '#9aa0a6'},
  legend: {orient: 'bottom', labelFontSize: 11, titleFontSize: 12, labelLimit: 260, symbolLimit: 40, columns: 3},
  header: {labelFontSize: 12, titleFontSize: 12},
  concat: {spacing: 24},
} as const

/** Colour per backend series, stable across every chart of a report. */
export const seriesScheme = 'tableau10'

export function seriesColor(seriesDomain: readonly string[], title = 'backend'): Record<string, unknown> {
  return {field: 'series', type: 'nominal', title, scale: {domain: [...seriesDomain], scheme: seriesScheme}, legend: {title}}
}

/** Verdict colours: green supports the claim, red contradicts it, amber cannot decide. */
export const verdictColors: Readonly<Record<string, string>> = {
  supported: '#1a7f37',
  'not-supported': '#cf222e',
  inconclusive: '#bf8700',
  error: '#6e7781',
}

export function verdictColorScale(verdicts: readonly string[]): {domain: string[]; range: string[]} {
  const domain = [...new Set(verdicts)].sort((a, b) => verdictRank(a) - verdictRank(b) || a.localeCompare(b))
  return {domain, range: domain.map((v) => verdictColors[v] ?? '#8250df')}
}

/** A verdict in words with a mark that does not need colour: ✓ supported, ✗ not supported, ? inconclusive. */
export function verdictWords(verdict: string): string {
  switch (verdict) {
    case 'supported':
      return '✓ supported'
    case 'not-supported':
      return '✗ not supported'
    case 'inconclusive':
      return '? inconclusive'
    default:
      return verdict
  }
}

/** Orders verdicts: supported, not-supported, inconclusive, error, then others alphabetically. */
export function verdictRank(verdict: string): number {
  const order = Object.keys(verdictColors)
  const i = order.indexOf(verdict)
  return i === -1 ? order.length : i
}

/** A title block with an optional subtitle (vega-lite wants an array for several lines). */
export function chartTitle(text: string, subtitle?: string | string[]): Record<string, unknown> {
  return subtitle === undefined ? {text} : {text, subtitle}
}

/** The largest finite value, or null. */
export function maxOf(values: readonly number[]): number | null {
  let max: number | null = null
  for (const v of values) if (Number.isFinite(v) && (max === null || v > max)) max = v
  return max
}

/** Log scale when every value is positive and they span more than `minSpan` times. */
export function pickScaleType(values: readonly number[], minSpan = 30): 'log' | 'linear' {
  const finite = values.filter((v) => Number.isFinite(v))
  if (finite.length === 0 || finite.some((v) => v <= 0)) return 'linear'
  return Math.max(...finite) / Math.min(...finite) > minSpan ? 'log' : 'linear'
}
