import {createHash} from 'node:crypto'
import {html, serializeJsonForScript, trustedHtml, type SafeHtml} from './escape.js'
import type {ReportClaims} from './report-inputs.js'
import type {ChartSection} from './report-section.js'
import {renderTable} from './render-table.js'
import {verdictColors, verdictRank, verdictWords} from './specs/common.js'
import {formatClaimValue} from './sections/claims.js'
import type {VendorScript} from './vendor-scripts.js'

export interface ReportDocument {
  title: string
  /** One line under the title: what the report holds. */
  subtitle: string
  sections: ChartSection[]
  claims: ReportClaims | undefined
  provenance: SafeHtml
  vendors: readonly VendorScript[]
}

/** Element id of the JSON block holding the chart specs. */
export const chartDataElementId = 'tracebench-charts'

/**
 * Draws every chart with vega-embed: SVG renderer (crisp, countable marks), the AST
 * expression interpreter (no eval, so the CSP needs no 'unsafe-eval'), and only the
 * export actions, which work offline. A chart that fails shows a message in place; its
 * table is still there. `window.__tracebenchReport` lets tests wait for the result.
 */
const bootstrapScript = `(function () {
  'use strict';
  var state = {total: 0, rendered: 0, failed: [], done: false};
  window.__tracebenchReport = state;
  var charts = JSON.parse(document.getElementById('${chartDataElementId}').textContent);
  state.total = charts.length;
  var options = {renderer: 'svg', ast: true, actions: {export: true, source: false, compiled: false, editor: false}};
  Promise.all(charts.map(function (chart) {
    var el = document.getElementById('vis-' + chart.id);
    return vegaEmbed(el, chart.spec, Object.assign({downloadFileName: chart.id}, options)).then(function () {
      state.rendered += 1;
    }, function (error) {
      state.failed.push(chart.id);
      el.textContent = 'This chart could not be drawn (' + error.message + '); the table beside it has the numbers.';
      el.className += ' vis-error';
      console.error('tracebench report: chart ' + chart.id + ': ' + error.message);
    });
  })).then(function () {
    state.done = true;
    document.documentElement.setAttribute('data-charts-done', 'true');
  });
})();`

function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64')
}

/**
 * Blocks everything a report does not need: no network at all (default-src 'none'), and
 * only our own inline scripts run, pinned by hash, so even markup that escaped escaping
 * could not execute. Styles must be inline-allowed: vega-embed injects a <style> element
 * and the SVG renderer writes style attributes.
 */
export function buildContentSecurityPolicy(scripts: readonly string[]): string {
  const hashes = scripts.map((s) => `'sha256-${sha256Base64(s)}'`).join(' ')
  return `default-src 'none'; script-src ${hashes}; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'`
}

const styles = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-soft: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1560px; margin: 0 auto; padding: 24px 32px 48px; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header .subtitle { color: var(--muted); margin: 0 0 12px; }
nav.toc { display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 10px 0; border-bottom: 1px solid var(--line); margin-bottom: 8px; font-size: 13px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a.muted { color: var(--muted); }
h2 { font-size: 20px; margin: 32px 0 4px; }
h3 { font-size: 16px; margin: 24px 0 8px; }
h4 { margin: 0 0 4px; font-size: 14px; }
p.lede { color: var(--muted); margin: 0 0 14px; max-width: 980px; }
.figure { display: flex; flex-wrap: wrap; gap: 20px 28px; align-items: flex-start; }
.vis { flex: 0 1 auto; max-width: 100%; overflow-x: auto; min-height: 60px; }
.vis-error { padding: 16px; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; }
.side { flex: 1 1 420px; min-width: 360px; max-width: 820px; overflow-x: auto; }
.figure.below { flex-direction: column; }
.figure.below .side { flex: 0 0 auto; max-width: none; width: 100%; }
.omitted { color: var(--muted); font-style: italic; background: var(--bg-soft); padding: 10px 14px; border-radius: 6px; border: 1px dashed var(--line); }
section.not-drawn { border-top: 1px solid var(--line); }
section.not-drawn ul { list-style: none; padding: 0; margin: 0; }
li.omitted-chart { background: var(--bg-soft); border: 1px dashed var(--line); border-radius: 6px; padding: 8px 14px; margin: 0 0 8px; }
li.omitted-chart .omitted-note { font-style: italic; }
li.omitted-chart .what { display: block; color: var(--muted); font-size: 12.5px; }
li.omitted-chart .side { margin-top: 8px; max-width: 760px; }
.warning { color: #9a6700; }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; margin: 0 0 12px; }
caption { text-align: left; font-weight: 600; padding: 0 0 6px; color: var(--fg); }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: var(--bg-soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; }
table.numbers td:first-child { min-width: 7.5em; }
table.kv td:first-child { color: var(--muted); white-space: nowrap; width: 1%; }
p.note { margin: 0 0 6px; font-size: 13px; }
details { margin: 4px 0 10px; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; }
details .scroll { max-height: 360px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; margin-top: 6px; }
.scroll { overflow-x: auto; }
pre { background: var(--bg-soft); padding: 10px; border-radius: 6px; overflow: auto; font-size: 12px; max-height: 360px; }
code { font-size: 12.5px; background: var(--bg-soft); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
td.cmd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; min-width: 260px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 16px; }
.cards > * { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.cards table { margin-bottom: 4px; }
.verdicts { border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 16px 0 8px; background: #fff; }
.verdicts h2 { margin-top: 0; }
.badges { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0 12px; }
.gate { font-weight: 600; margin-left: 8px; }
.gate.passed { color: #1a7f37; }
.gate.failed { color: #cf222e; }
.gate.none { color: var(--muted); }
ul.why { margin: 4px 0 2px; padding-left: 16px; font-size: 12px; color: var(--muted); }
ul.why li { margin: 0 0 2px; }
.verdict-word { font-weight: 600; }
.verdict-table td:nth-child(2) { max-width: 520px; }
.verdict-table td.chips { min-width: 320px; }
.chip { display: inline-flex; align-items: center; gap: 5px; border: 1.5px solid; border-radius: 999px; padding: 1px 9px; margin: 2px 4px 2px 0; font-size: 12px; white-space: nowrap; }
.chip .dot { width: 8px; height: 8px; border-radius: 50%; display: inline-block; }
small.source { color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; color: #fff; font-weight: 600; font-size: 12.5px; white-space: nowrap; }
section.chart { border-top: 1px solid var(--line); }
@media print { .vis { overflow: visible; } details { display: none; } }
`

function verdictBadge(verdict: string): SafeHtml {
  const color = verdictColors[verdict] ?? '#8250df'
  return html`<span class="badge" style="background:${trustedHtml(color)}">${verdictWords(verdict)}</span>`
}

/** The gate line: passed, failed, or that no claim gates the exit code (then nothing "passed"). */
function renderGate(report: ReportClaims['report']): SafeHtml {
  const gating = report.claims.some((c) => c.rows.some((r) => r.gating))
  if (!gating) {
    return html`<span class="gate none">no gating claim: no claim here is marked gate: true, so no verdict decides the exit code (--strict gates on every claim)</span>`
  }
  return report.passed
    ? html`<span class="gate passed">✓ gate passed: every gating claim is supported</span>`
    : html`<span class="gate failed">✗ gate failed (exit code ${report.exitCode}, ${report.counts.gatingFailures} gating row${report.counts.gatingFailures === 1 ? '' : 's'} not supported)</span>`
}

/**
 * The verdicts at the top of the page: the gate result and counts per verdict, then one
 * line per claim with a chip per workload (measured value and verdict in words, coloured
 * too), and under the chips each workload's reason, in plain text.
 */
function renderVerdictSummary(claims: ReportClaims | undefined): SafeHtml {
  if (claims === undefined || claims.report.claims.length === 0) return html``
  const report = claims.report
  const counts = new Map<string, number>()
  for (const c of report.claims) for (const r of c.rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1)
  const sorted = [...counts.entries()].sort((a, b) => verdictRank(a[0]) - verdictRank(b[0]) || a[0].localeCompare(b[0]))
  const rows = report.claims.map((c) => {
    const target = 'ratio' in c.expected ? formatClaimValue(c.expected.ratio, 'x') : formatClaimValue(c.expected.value, c.unit)
    const color = (verdict: string) => trustedHtml(verdictColors[verdict] ?? '#8250df')
    const chips = c.rows.map(
      (r) =>
        html`<span class="chip" style="border-color:${color(r.verdict)}"><span class="dot" style="background:${color(r.verdict)}"></span>${r.workload}${
          r.claimed ? '' : ' (control)'
        } <strong>${formatClaimValue(r.measured, r.unit, r.bound)}</strong> <span class="verdict-word" style="color:${color(r.verdict)}">${verdictWords(r.verdict)}</span>${r.gating ? html` <small>gate</small>` : ''}</span>`,
    )
    const why = c.rows.map((r) => html`<li><strong>${r.workload}:</strong> ${r.reason}</li>`)
    return html`<tr><td><strong>${c.id}</strong></td><td>${c.claim}${c.source !== '' ? html`<br><small class="source">${c.source}</small>` : ''}</td><td class="num">${target}</td><td class="chips">${chips}<ul class="why">${why}</ul></td></tr>`
  })
  return html`<section class="verdicts" id="verdicts">
<h2>Claim verdicts: ${report.title}</h2>
${report.description !== null ? html`<p class="lede">${report.description}</p>` : ''}
<div class="badges">${sorted.map(([verdict, n]) => html`<span>${verdictBadge(verdict)} ${n}</span>`)} ${renderGate(report)}</div>
<div class="scroll"><table class="numbers verdict-table"><thead><tr><th>claim</th><th>text and source</th><th class="num">claimed</th><th>measured per workload, verdict and why</th></tr></thead><tbody>${rows}</tbody></table></div>
</section>`
}

/**
 * Charts without data, gathered in one list at the end: each says what it would show and
 * why it is not drawn, without leaving empty frames between the charts that are.
 */
function renderOmittedSections(sections: readonly ChartSection[]): SafeHtml {
  if (sections.length === 0) return html``
  return html`<section class="not-drawn" id="not-drawn">
<h2>Not drawn</h2>
<ul>${sections.map(
    (s) => html`<li class="omitted-chart" id="sec-${s.id}" data-chart="${s.id}" data-omitted="true"><strong>${s.title}.</strong> <span class="omitted-note">${s.omittedReason ?? 'Not drawn: no data.'}</span>${
      s.table !== null ? html`<div class="side">${renderTable(s.table)}</div>` : ''
    }</li>`,
  )}</ul>
</section>`
}

function renderSection(section: ChartSection): SafeHtml {
  const side = html`${section.table !== null ? renderTable(section.table) : ''}${(section.notes ?? []).map((n) => html`<p class="note">${n}</p>`)}${
    section.detailTable !== undefined && section.detailTable !== null
      ? html`<details${section.detailOpen === true ? html` open` : ''}><summary>${section.detailTable.caption ?? 'All points'}</summary><div class="scroll">${renderTable({...section.detailTable, caption: undefined})}</div></details>`
      : ''
  }`
  return html`<section class="chart" id="sec-${section.id}" data-chart="${section.id}">
<h2>${section.title}</h2>
<p class="lede">${section.description}</p>
<div class="figure${section.layout === 'below' ? ' below' : ''}"><div class="vis" id="vis-${section.id}" role="img" aria-label="${section.title}"></div><div class="side">${side}</div></div>
</section>`
}

/** The whole report as one HTML string: styles, libraries, chart specs and data inlined. */
export function renderReportHtml(doc: ReportDocument): string {
  const drawn = doc.sections.filter((s) => s.spec !== null)
  const chartJson = serializeJsonForScript(drawn.map((s) => ({id: s.id, spec: s.spec})))
  const scripts = [...doc.vendors.map((v) => v.source), bootstrapScript]
  // Our own text (keywords and base64 hashes, no quotes to escape), kept readable in the page source.
  const csp = buildContentSecurityPolicy(scripts)
  const toc = [
    ...(doc.claims !== undefined && doc.claims.report.claims.length > 0 ? [html`<a href="#verdicts">Claim verdicts</a>`] : []),
    ...drawn.map((s) => html`<a href="#sec-${s.id}">${s.title}</a>`),
    ...(drawn.length < doc.sections.length ? [html`<a href="#not-drawn" class="muted">Not drawn (${doc.sections.length - drawn.length})</a>`] : []),
    html`<a href="#provenance">Provenance</a>`,
  ]
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${trustedHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tracebench">
<title>${doc.title}</title>
<style>${trustedHtml(styles)}</style>
</head>
<body>
<main>
<header><h1>${doc.title}</h1><p class="subtitle">${doc.subtitle}</p></header>
<nav class="toc" aria-label="Contents">${toc}</nav>
${renderVerdictSummary(doc.claims)}
${drawn.map(renderSection)}
${renderOmittedSections(doc.sections.filter((s) => s.spec === null))}
${doc.provenance}
</main>
${doc.vendors.map((v) => html`<script data-library="${v.name}">${trustedHtml(v.source)}</script>\n`)}<script type="application/json" id="${chartDataElementId}">${trustedHtml(chartJson)}</script>
<script>${trustedHtml(bootstrapScript)}</script>
</body>
</html>
`
  return body.value
}
