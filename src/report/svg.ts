import {join} from 'node:path'
import * as vega from 'vega'
import {compile} from 'vega-lite'
import {writeFileAtomic} from '../common/atomic-write.js'
import type {ChartSection} from './report-section.js'
import type {TopLevelSpec} from './specs/common.js'
import {measureVegaText} from './text-width.js'

/**
 * A Vega-Lite spec as a static SVG string, rendered by vega's headless View (no browser,
 * no canvas). Text widths come from font metrics (text-width.ts) rather than vega's
 * rough estimate, which is only used when no canvas is installed. vega escapes every
 * text it writes, so names from results files stay text in the SVG too.
 */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const {spec: vegaSpec} = compile(spec)
  // vega re-exports vega-scenegraph's textMetrics, but its typings leave it out.
  const metrics = (vega as unknown as {textMetrics: {width: (item: object, text?: unknown) => number; estimateWidth: (item: object, text?: unknown) => number}}).textMetrics
  const previous = metrics.width
  // Only replace vega's crude estimate: a real canvas measurement (node-canvas) is better still.
  if (previous === metrics.estimateWidth) metrics.width = measureVegaText
  const view = new vega.View(vega.parse(vegaSpec), {renderer: 'none'})
  try {
    // Invisible marks exist only to catch the mouse for tooltips; a static image does not need them.
    return (await view.toSVG()).replace(/<path [^>]* opacity="0"\/>/g, '')
  } finally {
    view.finalize()
    metrics.width = previous
  }
}

/** Writes `DIR/<chart id>.svg` for every drawn chart (atomically); returns the paths written. */
export async function writeChartSvgs(sections: readonly ChartSection[], dir: string): Promise<string[]> {
  const written: string[] = []
  for (const section of sections) {
    if (section.spec === null) continue
    const path = join(dir, `${section.id}.svg`)
    await writeFileAtomic(path, `${await renderChartSvg(section.spec)}\n`)
    written.push(path)
  }
  return written
}
