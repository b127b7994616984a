/**
 * Reports people can read (issue 13): capacity searches drawn, verdicts in words with
 * their reasons on the page, numbers rounded for people, provenance paths relative to
 * where the command ran, a timeline for each run, TPOT digits that tell 0.45 from 0.5,
 * and no "gate passed" when no claim gates.
 */
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {formatClaimsTable} from '../../src/claims/format-claims-table.js'
import {buildChartSections, renderReport} from '../../src/report/build-report.js'
import {displayArgs, displayPath, formatLatencyMs, formatNumberForPeople, formatUsdPerHour} from '../../src/report/format-for-people.js'
import {prepareRuns} from '../../src/report/prepare-runs.js'
import {buildCapacityFootprintSection, buildCapacitySearchSection} from '../../src/report/sections/capacity.js'
import {buildLatencySection} from '../../src/report/sections/latency.js'
import {buildTimelineSection} from '../../src/report/sections/timeline.js'
import {craftResults} from '../metrics/craft-results.js'
import {craftCapacity, craftClaims, craftFullInputs, craftSweepPoints} from './report-fixtures.js'

/** The page's text outside tags and attributes, roughly as a reader sees it. */
function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
}

describe('capacity searches are drawn', () => {
  it('plots every evaluated point, offered against delivered, with the capacity point ringed and why each failed', () => {
    const section = buildCapacitySearchSection(craftCapacity())
    const values = (section.spec as {data: {values: Array<Record<string, unknown>>}}).data.values
    expect(values).toHaveLength(9)
    const trn = values.filter((v) => v.series === 'trn3-cs3')
    expect(trn.filter((v) => v.capacity === true).map((v) => v.rateScale)).toEqual([3])
    expect(trn.find((v) => v.rateScale === 16)).toMatchObject({offered: 160, delivered: 31.5, outcome: 'not sustained'})
    expect(trn.find((v) => v.rateScale === 3.05)).toMatchObject({outcome: 'SLO missed', reason: 'ttft.p90 was 2100 ms, expected <= 2000 ms'})
    // A not-reachable search has points but no capacity point.
    expect(values.filter((v) => v.series === 'gpu-h100' && v.capacity === true)).toEqual([])
    expect(section.table?.rows.map((r) => r.slice(0, 2))).toEqual([
      ['trn3-cs3', 'x3'],
      ['gpu-h100', 'not reachable (0)'],
    ])
    expect(section.notes?.[1]).toMatch(/^gpu-h100: not reachable: the SLOs fail even at the lowest load/)
  })

  it('draws the capacity per rack, kW, system and $/h, leaving out a unit no backend has', () => {
    const section = buildCapacityFootprintSection(craftCapacity())
    const bars = (section.spec as {data: {values: Array<{series: string; unit: string; value: number}>}}).data.values
    expect(bars.filter((b) => b.series === 'trn3-cs3').map((b) => [b.unit, b.value])).toEqual([
      ['per rack', 1425],
      ['per kW', 31.3],
      ['per system', 237.5],
    ])
    expect(bars.filter((b) => b.series === 'gpu-h100').map((b) => b.unit)).toEqual(['per rack', 'per kW', 'per system', 'per $/h'])
  })

  it('draws no capacity chart for a search with no number', () => {
    const [found] = craftCapacity()
    const section = buildCapacityFootprintSection([{...found!, status: 'too-short', rateScale: 0}])
    expect(section.spec).toBeNull()
  })

  it('appears in the report, and only when a capacity search was given', () => {
    const ids = (inputs: ReturnType<typeof craftFullInputs>) => buildChartSections(inputs).map((s) => s.id)
    expect(ids(craftFullInputs())).toEqual(expect.arrayContaining(['capacity-search', 'capacity-footprint']))
    expect(ids({...craftFullInputs(), capacity: []})).not.toContain('capacity-search')
  })
})

describe('verdicts and gates people can read', () => {
  it('writes each verdict in words on its chip and shows every reason on the page, not only in a tooltip', async () => {
    const {html} = await renderReport(craftFullInputs())
    const text = visibleText(html)
    for (const claim of craftClaims().report.claims) {
      for (const row of claim.rows) {
        if (row.reason === '') continue
        expect(text, `${claim.id} ${row.workload}`).toContain(`${row.workload}: ${row.reason}`)
      }
    }
    expect(text).toContain('✗ not supported')
    expect(text).toContain('✓ supported')
    expect(text).toContain('? inconclusive')
    expect(html).not.toMatch(/hover for the reason/)
    // The claims chart encodes the verdict as a shape as well as a colour.
    const claimsSpec = JSON.stringify(buildChartSections(craftFullInputs()).find((s) => s.id === 'claims')?.spec)
    expect(claimsSpec).toContain('"shape":{"field":"verdictText"')
  })

  it('says there is no gating claim instead of "gate passed"', async () => {
    const claims = craftClaims()
    for (const c of claims.report.claims) for (const r of c.rows) r.gating = false
    claims.report.passed = true
    const {html} = await renderReport({claims})
    const text = visibleText(html)
    expect(text).toContain('no gating claim: no claim here is marked gate: true, so no verdict decides the exit code')
    expect(text).not.toContain('gate passed')
    const table = formatClaimsTable(claims.report)
    expect(table).toContain('no gating claim: no claim is marked gate: true, so no verdict decides the exit code (--strict gates on every claim)')
    expect(table).not.toContain('gate passed')
    // With a gating row it is a real gate again.
    const gated = await renderReport(craftFullInputs())
    expect(visibleText(gated.html)).toMatch(/✗ gate failed \(exit code 98, 1 gating row not supported\)/)
  })
})

describe('numbers and paths for people', () => {
  it('rounds money, rates and spans', () => {
    expect(formatUsdPerHour(707.9399999999999)).toBe('$707.94/h')
    expect(formatNumberForPeople(5.644334986991783)).toBe('5.6443')
    expect(formatNumberForPeople(0.2969268023695633)).toBe('0.2969')
    expect(formatNumberForPeople(88241.408)).toBe('88,241.4')
    expect(formatNumberForPeople(1000)).toBe('1,000')
  })

  it('shows the provenance without float noise and with paths relative to where the command ran', async () => {
    const cwd = process.cwd()
    const results = craftResults({
      seed: 1,
      trace: {path: join(cwd, 'traces', 'chat.jsonl'), summary: {ratePerS: 5.644334986991783}},
      backend: {name: 'gpu-h100', footprint: {systems: 18, chips: 144, racks: 5, kW: 183.6, usdPerHour: 707.9399999999999}},
      command: ['replay', join(cwd, 'traces', 'chat.jsonl'), '--backend', join(cwd, 'claims', 'backends', 'x.yaml'), '--out', '/elsewhere/r.json'],
    })
    const {html} = await renderReport({runs: [{results, path: join(cwd, 'results', 'r.json')}]})
    const provenance = visibleText(html.slice(html.indexOf('id="provenance"')))
    expect(provenance).toContain('$707.94/h')
    expect(provenance).not.toContain('707.9399')
    expect(provenance).toContain('ratePerS 5.6443')
    expect(provenance).toContain('results/r.json')
    expect(provenance).toContain('tracebench replay traces/chat.jsonl --backend claims/backends/x.yaml --out /elsewhere/r.json')
    expect(provenance).not.toContain(cwd)
    expect(displayPath('/elsewhere/r.json', '/work/here')).toBe('/elsewhere/r.json')
    expect(displayArgs(['/work/here/a/b.json', 'x'], '/work/here')).toEqual(['a/b.json', 'x'])
  })

  it('gives TPOT enough digits to tell 0.45 ms from 0.5 ms', () => {
    expect(formatLatencyMs(0.4567)).toBe('0.457')
    expect(formatLatencyMs(0.5)).toBe('0.500')
    expect(formatLatencyMs(12.34)).toBe('12.3')
    expect(formatLatencyMs(1234.5)).toBe('1,235')
    const results = craftResults({seed: 1, tpotMs: 0.45})
    const section = buildLatencySection(prepareRuns({runs: [{results}]}))
    const tpot = section.table?.rows.find((r) => r[1] === 'TPOT')
    expect(tpot?.[2]).toMatch(/^0\.4\d\d$/)
  })
})

describe('the replay timeline shows each run', () => {
  it('holds every run with samples and a menu to pick the one shown', () => {
    const runs = prepareRuns({sweeps: [{points: [...craftSweepPoints('trn3-cs3'), ...craftSweepPoints('gpu-h100')]}]})
    const section = buildTimelineSection(runs)
    const spec = section.spec as {params: Array<{name: string; value: string; bind?: {input: string; options: string[]}}>; data: {values: Array<{run: string}>}; transform: Array<{filter: string}>}
    const labels = runs.map((r) => r.label)
    expect(new Set(spec.data.values.map((v) => v.run))).toEqual(new Set(labels))
    expect(spec.params[0]?.bind?.input).toBe('select')
    expect([...(spec.params[0]?.bind?.options ?? [])].sort()).toEqual([...labels].sort())
    expect(spec.transform[0]?.filter).toBe(`datum.run === ${spec.params[0]?.name}`)
    expect(section.table?.rows).toHaveLength(labels.length)
  })
})
