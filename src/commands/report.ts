import {Args, Flags} from '@oclif/core'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {writeReport} from '../report/build-report.js'
import {collectReportInputs, type CollectedSource} from '../report/collect-inputs.js'
import {writeChartSvgs} from '../report/svg.js'

export interface ReportCommandResult {
  out: string
  bytes: number
  inputs: CollectedSource[]
  /** Every chart, drawn or not; `note` says why one was not drawn. */
  charts: Array<{id: string; title: string; drawn: boolean; note: string | null}>
  /** SVG files written with --svg. */
  svg: string[]
}

export default class Report extends TracebenchCommand {
  static override summary = 'Render results, sweeps and claims into one self-contained HTML report'
  static override description = `Charts (Vega-Lite) with the table of numbers beside each: latency percentile curves (TTFT, TPOT, E2E) from the HDR histograms, throughput and goodput versus offered load with the SLOs and capacity marked, per-user decode speed versus system throughput, claims measured versus claimed, the crossover over the prefill:decode mix, and a replay timeline; then the provenance of every number. vega, vega-lite and vega-embed are inlined: the file opens offline and makes no network request. A chart whose data are absent is listed with the reason instead of being drawn empty.

Inputs, in any order: results files, sweep folders or their index.json, a claims --out folder or its claims.json, a capacity --out folder or its capacity.json, and folders of results files.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> results/cs3.json results/trn3-cs3.json --out reports/compare.html',
    "<%= config.bin %> <%= command.id %> sweeps/chat --out reports/chat-sweep.html --title 'Chat: CS-3 vs Trainium3 + CS-3'",
    '<%= config.bin %> <%= command.id %> claims-out sweeps/chat/index.json --out reports/claims.html --svg reports/svg',
  ]

  static override strict = false
  static override enableJsonFlag = true

  static override args = {
    inputs: Args.string({description: 'results files, sweep folders or index.json, claims.json, capacity.json, or folders of results files', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'the HTML file to write, e.g. reports/NAME.html', required: true}),
    svg: Flags.string({description: 'also write each drawn chart as DIR/<chart>.svg (static, rendered headless)'}),
    title: Flags.string({char: 't', description: 'page title (default: what the report holds)'}),
  }

  async run(): Promise<ReportCommandResult> {
    const {argv, flags} = await this.parse(Report)
    checkOutputPaths([{path: flags.out, kind: 'file', flag: '--out'}, ...(flags.svg === undefined ? [] : [{path: flags.svg, kind: 'directory' as const, flag: '--svg'}])], argv as string[])
    const {inputs, sources} = await collectReportInputs(argv as string[], {title: flags.title, command: ['report', ...this.argv]})
    const {bytes, sections} = await writeReport(flags.out, inputs)
    const svg = flags.svg === undefined ? [] : await writeChartSvgs(sections, flags.svg)
    const charts = sections.map((s) => ({id: s.id, title: s.title, drawn: s.spec !== null, note: s.omittedReason}))
    const drawn = charts.filter((c) => c.drawn)
    this.log(`wrote ${flags.out} (${(bytes / 1e6).toFixed(2)} MB): ${drawn.length} chart${drawn.length === 1 ? '' : 's'} drawn (${drawn.map((c) => c.id).join(', ') || 'none'})`)
    for (const c of charts.filter((c) => !c.drawn)) this.log(`  ${c.id}: ${c.note ?? 'not drawn'}`)
    if (svg.length > 0) this.log(`wrote ${svg.length} SVG file${svg.length === 1 ? '' : 's'} to ${flags.svg}`)
    return {out: flags.out, bytes, inputs: sources, charts, svg}
  }
}
