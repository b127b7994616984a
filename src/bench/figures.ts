import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {writeFileAtomic} from '../common/atomic-write.js'

/**
 * One figure a benchmark measured, with its target (if it has one) and the previous
 * version's figure under the same key (src/bench/previous-figures.json), so that every
 * run prints where the tool stands and how it moved.
 */
export interface Figure {
  /** Stable name across versions, e.g. `simulate.azure-conv.cs3.requests-per-s`. */
  key: string
  label: string
  value: number
  unit: string
  /** Which way is better, for the target check and the wording of the change. */
  better: 'higher' | 'lower'
  /** Met when value >= target (higher is better) or value <= target (lower is better). */
  target?: number
  /** Digits after the point when printed (default: 0 for values of 100 and more, else 2). */
  digits?: number
}

interface PreviousFigures {
  version: string
  measured: string
  figures: Record<string, {value: number; note?: string}>
}

const previousFile = fileURLToPath(new URL('../../src/bench/previous-figures.json', import.meta.url))
let previous: PreviousFigures | undefined
const reported: Figure[] = []

function previousFigures(): PreviousFigures {
  if (previous === undefined) {
    try {
      previous = JSON.parse(readFileSync(previousFile, 'utf8')) as PreviousFigures
    } catch {
      previous = {version: 'none', measured: `no ${previousFile}`, figures: {}}
    }
  }
  return previous
}

/** Prints a figure on one line (value, target met or not, previous version) and keeps it for the summary. */
export function reportFigure(figure: Figure): void {
  reported.push(figure)
  console.log(`  figure: ${describeFigure(figure)}`)
}

function describeFigure(figure: Figure): string {
  const parts = [`${figure.label}: ${format(figure.value, figure)} ${figure.unit}`]
  if (figure.target !== undefined) {
    const met = figure.better === 'higher' ? figure.value >= figure.target : figure.value <= figure.target
    parts.push(`target ${figure.better === 'higher' ? '>=' : '<='} ${format(figure.target, figure)}: ${met ? 'met' : 'NOT MET'}`)
  }
  const before = previousFigures().figures[figure.key]
  if (before !== undefined && before.value !== 0) {
    const ratio = figure.value / before.value
    const change = figure.better === 'higher' ? ratio : 1 / ratio
    parts.push(`previous ${format(before.value, figure)}: now/previous ${ratio.toFixed(2)} (${change >= 1 ? `${change.toFixed(2)}x better` : `${(1 / change).toFixed(2)}x worse`})`)
  }
  return parts.join('; ')
}

function format(value: number, figure: Figure): string {
  const digits = figure.digits ?? (Math.abs(value) >= 100 ? 0 : 2)
  return value.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits})
}

/** All figures of this run, one per line, after the benchmarks' own output. */
export function printFigureSummary(): void {
  if (reported.length === 0) return
  const before = previousFigures()
  console.log(`\n== figures (previous: ${before.version}, ${before.measured})`)
  for (const figure of reported) console.log(`  ${describeFigure(figure)}`)
}

/** Writes this run's figures in the format of previous-figures.json (for the next version's comparison). */
export async function saveFigures(path: string, version: string, measured: string): Promise<void> {
  const figures = Object.fromEntries(reported.map((figure) => [figure.key, {value: figure.value}]))
  await writeFileAtomic(path, `${JSON.stringify({version, measured, figures}, null, 2)}\n`)
}
