import {html, type SafeHtml} from './escape.js'
import {displayArgs, displayPath, formatNumberForPeople, formatUsdPerHour} from './format-for-people.js'
import type {PreparedRun} from './prepare-runs.js'
import type {ReportInputs} from './report-inputs.js'
import {formatCell} from './report-section.js'
import {renderTable} from './render-table.js'
import type {VendorScript} from './vendor-scripts.js'

/**
 * A command line as a shell would take it back, from the directory the report was made in:
 * absolute paths under it shown relative, arguments with unusual characters single-quoted.
 */
export function formatCommandLine(bin: string, args: readonly string[]): string {
  return [bin, ...displayArgs(args)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'none'
  if (typeof value === 'number') return formatNumberForPeople(value)
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/**
 * Where every number came from: each run's tool version, command line, seed, trace and
 * backend configuration, the metric definitions embedded in the results files, and the
 * libraries that drew the charts. All of it is text from input files, so all is escaped.
 */
export function renderProvenance(runs: readonly PreparedRun[], inputs: ReportInputs, vendors: readonly VendorScript[]): SafeHtml {
  const runTable = renderTable({
    caption: 'Runs',
    columns: [{label: 'run'}, {label: 'file', code: true}, {label: 'tool'}, {label: 'seed'}, {label: 'trace'}, {label: 'rate scale', numeric: true}, {label: 'SLOs'}, {label: 'completed / failed', numeric: true}, {label: 'command line', code: true}],
    rows: runs.map((r) => {
      const res = r.results
      const seeds = res.seeds !== undefined ? `${res.seed} (merged seeds ${res.seeds.join(', ')})` : String(res.seed)
      return [
        r.label,
        r.path === null ? 'in memory' : displayPath(r.path),
        `${res.tool.name} ${res.tool.version}`,
        seeds,
        res.trace.name,
        `${res.trace.rateScale}x`,
        res.slos.length > 0 ? res.slos.join(', ') : 'none',
        `${res.counters.completed} / ${res.counters.failed}`,
        formatCommandLine(res.tool.name, res.command),
      ]
    }),
  })

  const traces = uniqueBy(runs, (r) => JSON.stringify([r.results.trace.name, r.results.trace.path, r.results.trace.limit, r.results.trace.format]))
  const traceBlocks = traces.map((r) => {
    const t = r.results.trace
    const rows: string[][] = [
      ['name', t.name],
      ['path', displayPath(t.path)],
      ['format', t.format],
      ['requests', String(t.requests)],
      ['sessions', String(t.sessions)],
      ['trace span, before rate scaling (s)', formatCell(t.durationS, 2)],
      ['limit', t.limit === null ? 'none' : String(t.limit)],
      ...Object.entries(t.summary ?? {}).map(([k, v]) => [k, describeValue(v)]),
    ]
    return renderTable({caption: `Trace ${t.name}`, columns: [{label: 'field'}, {label: 'value'}], rows}, 'kv')
  })

  const backends = uniqueBy(runs, (r) => r.series)
  const backendBlocks = backends.map((r) => {
    const b = r.results.backend
    const fp = b.footprint
    return html`<div class="backend"><h4>${r.series}</h4>
<p>${b.description}</p>
${renderTable(
  {
    columns: [{label: 'field'}, {label: 'value'}],
    rows: [
      ['name', b.name],
      ['kind', b.kind],
      ['model', b.model],
      ['footprint', `${fp.systems} systems, ${fp.chips} chips, ${fp.racks} racks, ${formatNumberForPeople(fp.kW)} kW${fp.usdPerHour !== null ? `, ${formatUsdPerHour(fp.usdPerHour)}` : ''}`],
    ],
  },
  'kv',
)}
<details><summary>Resolved configuration</summary><pre>${JSON.stringify(b.config, null, 2)}</pre></details></div>`
  })

  const definitions = runs[0]?.results.definitions ?? {}
  const definitionsDiffer = runs.some((r) => JSON.stringify(r.results.definitions) !== JSON.stringify(definitions))
  const definitionTable = renderTable({
    caption: 'Metric definitions (as embedded in the results files)',
    columns: [{label: 'metric'}, {label: 'unit'}, {label: 'description'}, {label: 'formula'}],
    rows: Object.values(definitions).map((d) => [d.id, d.unit, d.description, d.formula]),
  })

  const sources: string[][] = [
    ...(inputs.sweeps ?? []).map((s, i) => [
      `sweep ${i + 1} (${s.points.length} points)`,
      s.path === undefined || s.path === null ? 'in memory' : displayPath(s.path),
      s.index !== undefined && s.index !== null ? formatCommandLine(s.index.tool.name, s.index.command) : '',
    ]),
    ...(inputs.claims !== undefined
      ? [
          [
            `claims: ${inputs.claims.report.title}`,
            inputs.claims.path === undefined || inputs.claims.path === null ? 'in memory' : displayPath(inputs.claims.path),
            `claims file ${displayPath(inputs.claims.report.claimsFile)} (${inputs.claims.report.tool.name} ${inputs.claims.report.tool.version})`,
          ],
        ]
      : []),
    // One row per capacity file (each holds the searches of several backends).
    ...uniqueBy(inputs.capacity ?? [], (c) => c.path ?? `in memory ${c.backend}`).map((c) => {
      const backends = (inputs.capacity ?? []).filter((o) => (o.path ?? null) === (c.path ?? null)).map((o) => o.backend)
      const file = c.path === undefined || c.path === null ? 'in memory' : displayPath(c.path)
      return [`capacity search: ${(c.path === undefined || c.path === null ? [c.backend] : backends).join(', ')}`, file, c.command === undefined ? '' : formatCommandLine('tracebench', c.command)]
    }),
  ]

  return html`<section id="provenance" class="provenance">
<h2>Provenance</h2>
<p>Every number above comes from these results files. The report was generated by ${inputs.command !== undefined ? html`<code>${formatCommandLine('tracebench', inputs.command)}</code>` : 'tracebench (in memory)'}; charts drawn with ${vendors.map((v, i) => html`${i > 0 ? ', ' : ''}${v.name} ${v.version}`)}, inlined: the page makes no network request.</p>
${runs.length > 0 ? html`<div class="scroll">${runTable}</div>` : html`<p class="omitted">No results files.</p>`}
${sources.length > 0 ? html`<div class="scroll">${renderTable({caption: 'Other inputs', columns: [{label: 'input'}, {label: 'file', code: true}, {label: 'command line or source', code: true}], rows: sources})}</div>` : ''}
${traceBlocks.length > 0 ? html`<h3>Traces</h3><div class="cards">${traceBlocks}</div>` : ''}
${backendBlocks.length > 0 ? html`<h3>Backends</h3><div class="cards">${backendBlocks}</div>` : ''}
${runs.length > 0 ? html`<h3>Metric definitions</h3>${definitionsDiffer ? html`<p class="warning">The results files embed different metric definitions; the first file's are shown.</p>` : ''}<div class="scroll">${definitionTable}</div>` : ''}
</section>`
}
