/**
 * The generated HTML as text: self-contained (libraries and data inlined, nothing loaded),
 * escaped (markup from results and claims files never becomes an element), pinned by a
 * Content-Security-Policy whose script hashes match the inline scripts, and deterministic.
 */
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {readResultsFile} from '../../src/metrics/results-file.js'
import {buildReport, renderReport} from '../../src/report/build-report.js'
import {chartDataElementId} from '../../src/report/html.js'
import {readVendorScripts} from '../../src/report/vendor-scripts.js'
import {craftFullInputs, craftHostileResults, hostileMarkup} from './report-fixtures.js'

function hostileInputs() {
  const inputs = craftFullInputs()
  inputs.title = `title ${hostileMarkup}`
  inputs.runs = [...(inputs.runs ?? []), {results: craftHostileResults(), path: `runs/${hostileMarkup}.json`}]
  inputs.command = ['report', hostileMarkup, '--out', '\u2028</script>']
  for (const c of inputs.claims?.report.claims ?? []) {
    c.claim = `${c.claim} ${hostileMarkup}`
    c.source = hostileMarkup
    for (const r of c.rows) r.reason = hostileMarkup
  }
  return inputs
}

/** The page without the inlined library code (whose strings may contain any markup). */
function withoutLibraries(page: string): string {
  let out = page
  for (const v of readVendorScripts()) out = out.replace(v.source, '')
  return out
}

function inlineScripts(page: string): Array<{attrs: string; body: string}> {
  return [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({attrs: m[1] as string, body: m[2] as string}))
}

describe('report HTML', () => {
  it('inlines vega, vega-lite and vega-embed and loads nothing from anywhere', async () => {
    const page = await buildReport(craftFullInputs())
    const vendors = readVendorScripts()
    expect(vendors.map((v) => v.name)).toEqual(['vega', 'vega-lite', 'vega-embed'])
    for (const v of vendors) expect(page).toContain(v.source)
    const own = withoutLibraries(page)
    expect(own).not.toMatch(/<script[^>]+src=/i)
    expect(own).not.toMatch(/<link\b/i)
    expect(own).not.toMatch(/<img\b/i)
    expect(own).not.toMatch(/<iframe\b/i)
    expect(own).not.toMatch(/https?:\/\/(?!vega\.github\.io\/schema)/)
  })

  it('keeps hostile names as text: no element comes from a results or claims file', async () => {
    const page = await buildReport(hostileInputs())
    const scripts = inlineScripts(page)
    // Three libraries, the chart data and the bootstrap: nothing else can run.
    expect(scripts).toHaveLength(5)
    expect(page.match(/<script/g)).toHaveLength(5)
    expect(page).not.toContain('window.__pwned=1</script>')
    expect(withoutLibraries(page)).not.toMatch(/<img/i)
    expect(page).toContain(`<title>title &lt;script&gt;window.__pwned=1&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;</title>`)
    // The chart data block is JSON with no "<" at all, and parses back to the hostile text.
    const data = scripts.find((s) => s.attrs.includes(chartDataElementId))
    expect(data?.attrs).toContain('type="application/json"')
    expect(data?.body).not.toMatch(/[<>\u2028\u2029]/)
    expect(data?.body).toContain('\\u003cscript\\u003ewindow.__pwned=1')
    const charts = JSON.parse(data?.body as string) as Array<{id: string}>
    expect(charts.map((c) => c.id)).toEqual(['claims', 'crossover', 'kv-bandwidth', 'latency', 'throughput-load', 'capacity-search', 'capacity-footprint', 'interactivity', 'timeline'])
    expect(JSON.stringify(charts)).toContain(JSON.stringify(hostileMarkup).slice(1, -1))
  })

  it('pins every inline script in the Content-Security-Policy and blocks the network', async () => {
    const page = await buildReport(craftFullInputs())
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1] as string
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain('unsafe-eval')
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/)
    const executable = inlineScripts(page).filter((s) => !s.attrs.includes('application/json'))
    expect(executable).toHaveLength(4)
    for (const s of executable) {
      const hash = createHash('sha256').update(s.body, 'utf8').digest('base64')
      expect(csp).toContain(`'sha256-${hash}'`)
    }
    // The CSP comes before any script.
    expect(page.indexOf('Content-Security-Policy')).toBeLessThan(page.indexOf('<script'))
  })

  it('gives the same bytes for the same inputs (no timestamps)', async () => {
    expect(await buildReport(craftFullInputs())).toBe(await buildReport(craftFullInputs()))
  })

  it('lists charts without data under "Not drawn" with the reason, and puts the verdicts first when claims are given', async () => {
    const empty = await renderReport({runs: [{results: await readResultsFile('test/fixtures/results/empty.json'), path: 'empty.json'}]})
    expect(empty.sections.every((s) => s.spec === null)).toBe(true)
    expect(empty.html).toContain('id="not-drawn"')
    expect(empty.html.match(/data-omitted="true"/g)).toHaveLength(6)
    expect(empty.html).not.toContain('class="vis"')
    const full = await buildReport(craftFullInputs())
    expect(full.indexOf('id="verdicts"')).toBeGreaterThan(0)
    expect(full.indexOf('id="verdicts"')).toBeLessThan(full.indexOf('id="sec-claims"'))
    expect(full).toContain('gate failed (exit code 98')
    expect(full).not.toContain('id="not-drawn"')
  })

  it('shows the provenance: tool version, command line, seed, trace, backend configuration and metric definitions', async () => {
    const page = await buildReport(craftFullInputs())
    const provenance = page.slice(page.indexOf('id="provenance"'))
    expect(provenance).toContain('tracebench 0.1.0')
    expect(provenance).toContain('tracebench replay traces/crafted.jsonl --backend trn3-cs3 --out results.json')
    expect(provenance).toContain('tracebench report runs/trn3-cs3.json sweep capacity --out reports/test.html')
    expect(provenance).toContain('Trace crafted')
    expect(provenance).toContain('&quot;hardware&quot;: &quot;trn3&quot;')
    expect(provenance).toContain('firstTokenUs - arrivalUs')
    expect(provenance).toContain('6 systems, 70 chips, 3 racks, 120 kW')
    expect(provenance).toContain('claims/aws-cerebras.yaml')
  })
})
