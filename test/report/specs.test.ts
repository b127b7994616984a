/**
 * Every chart spec is valid Vega-Lite: compiled with vega-lite (warnings fail the test,
 * so a misspelt channel or property cannot pass silently), and the data each builder
 * derives from results files is checked against the files' own numbers.
 */
import {describe, expect, it} from 'vitest'
import * as vega from 'vega'
import {compile} from 'vega-lite'
import {readResultsFile} from '../../src/metrics/results-file.js'
import {buildChartSections} from '../../src/report/build-report.js'
import {prepareRuns} from '../../src/report/prepare-runs.js'
import type {ReportInputs} from '../../src/report/report-inputs.js'
import {buildClaimsSection, buildCrossoverSection} from '../../src/report/sections/claims.js'
import {buildLatencySection, computePercentileCurve, pickLatencyRuns} from '../../src/report/sections/latency.js'
import {buildInteractivitySection, buildThroughputLoadSection} from '../../src/report/sections/load.js'
import {buildTimelineSection, pickTimelineRun} from '../../src/report/sections/timeline.js'
import type {TopLevelSpec} from '../../src/report/specs/common.js'
import {renderChartSvg} from '../../src/report/svg.js'
import {craftClaims, craftFullInputs, craftSweepPoints} from './report-fixtures.js'

/** Compiles with vega-lite and returns every warning or error it logged. */
function compileStrict(spec: TopLevelSpec): {warnings: string[]; marks: number} {
  const warnings: string[] = []
  const logger = {
    level() {
      return logger
    },
    error: (...args: unknown[]) => warnings.push(`error: ${args.join(' ')}`),
    warn: (...args: unknown[]) => warnings.push(`warn: ${args.join(' ')}`),
    info: () => logger,
    debug: () => logger,
  }
  const out = compile(spec, {logger: logger as never})
  const countMarks = (node: {marks?: unknown[]}): number => (node.marks ?? []).reduce<number>((n, m) => n + 1 + countMarks(m as {marks?: unknown[]}), 0)
  return {warnings, marks: countMarks(out.spec as {marks?: unknown[]})}
}

/** Runs the compiled spec in vega's headless view and returns what vega warned about (empty extents, bad data). */
async function runWarnings(spec: TopLevelSpec): Promise<string[]> {
  const warnings: string[] = []
  const logger = {
    level() {
      return logger
    },
    error: (...args: unknown[]) => warnings.push(`error: ${args.join(' ')}`),
    warn: (...args: unknown[]) => warnings.push(`warn: ${args.join(' ')}`),
    info: () => logger,
    debug: () => logger,
  }
  const view = new vega.View(vega.parse(compile(spec).spec), {renderer: 'none', logger: logger as never, logLevel: vega.Warn})
  await view.runAsync()
  view.finalize()
  return warnings
}

const fixture = (name: string) => readResultsFile(`test/fixtures/results/${name}`)

describe('every chart of a full report compiles with vega-lite', () => {
  const sections = buildChartSections(craftFullInputs())

  it('draws all nine charts', () => {
    expect(sections.map((s) => [s.id, s.spec !== null])).toEqual([
      ['claims', true],
      ['crossover', true],
      ['kv-bandwidth', true],
      ['latency', true],
      ['throughput-load', true],
      ['capacity-search', true],
      ['capacity-footprint', true],
      ['interactivity', true],
      ['timeline', true],
    ])
  })

  for (const id of ['claims', 'crossover', 'kv-bandwidth', 'latency', 'throughput-load', 'capacity-search', 'capacity-footprint', 'interactivity', 'timeline']) {
    it(`${id}: compiles without warnings, with marks, a title, axis titles with units and tooltips`, () => {
      const section = sections.find((s) => s.id === id)
      const spec = section?.spec as TopLevelSpec
      const {warnings, marks} = compileStrict(spec)
      expect(warnings).toEqual([])
      expect(marks).toBeGreaterThan(0)
      const text = JSON.stringify(spec)
      expect((spec as {title?: {text?: string}}).title?.text).toBeTruthy()
      expect(text).toContain('"tooltip"')
      // Every axis title names its unit in parentheses: (ms), (req/s), (tok/s), (x), (%), (s).
      const titles = [...text.matchAll(/"title":"([^"]*)"/g)].map((m) => m[1] as string)
      expect(titles.some((t) => /\((ms|req\/s|tok\/s|x|%|s|requests|sequences)[),]/.test(t))).toBe(true)
      // The table beside it has rows.
      expect(section?.table?.rows.length ?? 0).toBeGreaterThan(0)
    })

    it(`${id}: runs in vega without warnings`, async () => {
      expect(await runWarnings(sections.find((s) => s.id === id)?.spec as TopLevelSpec)).toEqual([])
    })
  }
})

describe('latency percentile curves', () => {
  it('reads the curve from the HDR histogram: p0 is the min, p90 the summary p90, ends at 1 - 1/count', async () => {
    const results = await fixture('baseline.json')
    const curve = computePercentileCurve(results.metrics.ttft, 'baseline ttft')
    expect(curve[0]).toMatchObject({percentile: 0, tailX: 0, valueMs: results.metrics.ttft.min})
    const p90 = curve.find((p) => p.tailX === 1)
    expect(p90?.valueMs).toBe(results.metrics.ttft.p90)
    const last = curve[curve.length - 1]
    expect(last?.tailX).toBeCloseTo(Math.log10(200), 4)
    expect(last?.percentile).toBeCloseTo(99.5, 6)
    for (let i = 1; i < curve.length; i++) expect((curve[i] as {valueMs: number}).valueMs).toBeGreaterThanOrEqual((curve[i - 1] as {valueMs: number}).valueMs)
  })

  it('has no points for an empty histogram and omits the chart when nothing completed', async () => {
    const empty = await fixture('all-failed.json')
    expect(computePercentileCurve(empty.metrics.ttft, 'x')).toEqual([])
    const section = buildLatencySection(prepareRuns({runs: [{results: empty}]}))
    expect(section.spec).toBeNull()
    expect(section.omittedReason).toMatch(/^Not drawn: no TTFT, TPOT or E2E data/)
  })

  it('labels the tail axis 50%, 90%, 99% in the rendered chart', async () => {
    const section = buildLatencySection(prepareRuns({runs: [{results: await fixture('baseline.json')}]}))
    const svg = await renderChartSvg(section.spec as TopLevelSpec)
    for (const label of ['50%', '90%', '99%']) expect(svg).toContain(`>${label}</text>`)
  })

  it('draws one curve per single run and one per backend of a sweep (the highest load meeting the SLOs)', () => {
    const runs = prepareRuns(craftFullInputs())
    const picked = pickLatencyRuns(runs)
    expect(picked.map((r) => r.label)).toEqual(['trn3-cs3', 'trn3-cs3 @ 2x', 'gpu-h100 @ 0.5x'])
    // trn3-cs3 met its SLOs up to 2x (not at 4x); gpu-h100 never did, so its lowest load is shown.
    expect(runs.filter((r) => r.series === 'trn3-cs3' && r.origin === 'sweep').map((r) => [r.results.trace.rateScale, r.slosMet])).toEqual([
      [0.5, true],
      [1, true],
      [2, true],
      [4, false],
    ])
    expect(runs.filter((r) => r.series === 'gpu-h100').every((r) => r.slosMet === false)).toBe(true)
  })
})

describe('throughput and goodput versus load', () => {
  it('is omitted with a note when no backend ran at two loads', async () => {
    const section = buildThroughputLoadSection(prepareRuns({runs: [{results: await fixture('baseline.json')}, {results: await fixture('aggregated.json')}]}), [])
    expect(section.spec).toBeNull()
    expect(section.omittedReason).toContain('two or more load levels')
  })

  it('marks the highest swept load that met every SLO as that, not as a capacity', () => {
    const runs = prepareRuns({sweeps: [{points: craftSweepPoints('trn3-cs3')}]})
    const met = runs.filter((r) => r.slosMet === true).map((r) => r.offeredReqPerS as number)
    expect(met.length).toBeGreaterThan(0)
    expect(met.length).toBeLessThan(runs.length)
    const section = buildThroughputLoadSection(runs, [])
    const layers = (section.spec as {layer: Array<{data?: {values: Array<{load: number; label: string}>}}>}).layer
    const capacity = layers[2]?.data?.values ?? []
    expect(capacity).toHaveLength(1)
    expect(capacity[0]?.load).toBeCloseTo(Math.max(...met), 6)
    expect(capacity[0]?.label).toMatch(/^highest passing swept load [\d.,]+ req\/s$/)
    expect(section.notes?.[0]).toMatch(/^trn3-cs3: highest passing swept load /)
    expect(section.notes?.[1]).toMatch(/^A highest passing swept load is not a capacity: it is one replay of the trace \(not a steady-state window\)/)
    expect(JSON.stringify(section.spec)).not.toMatch(/capacity \(swept\)/)
  })

  it('marks no capacity for a search that found none (not reachable, or no number)', () => {
    const runs = prepareRuns({sweeps: [{points: craftSweepPoints('trn3-cs3')}]})
    for (const status of ['not-reachable', 'too-short']) {
      const section = buildThroughputLoadSection(runs, [{backend: 'trn3-cs3', rateScale: 0, status}])
      expect(section.notes?.[0]).toMatch(/^trn3-cs3: highest passing swept load /)
    }
  })

  it('takes the capacity from a capacity search when one is given (rate scale to req/s)', () => {
    const runs = prepareRuns({sweeps: [{points: craftSweepPoints('trn3-cs3')}]})
    const baseRate = (runs[0]?.offeredReqPerS as number) / (runs[0]?.results.trace.rateScale as number)
    const section = buildThroughputLoadSection(runs, [{backend: 'trn3-cs3', rateScale: 1.5}])
    const layers = (section.spec as {layer: Array<{data?: {values: Array<{load: number; label: string}>}}>}).layer
    expect(layers[2]?.data?.values[0]?.load).toBeCloseTo(baseRate * 1.5, 6)
    expect(layers[2]?.data?.values[0]?.label).toMatch(/^capacity 15\.00 req\/s$/)
    const bound = buildThroughputLoadSection(runs, [{backend: 'trn3-cs3', rateScale: 1.5, lowerBound: true, outputTokensPerS: 2500}])
    expect(bound.notes?.[0]).toBe('trn3-cs3: capacity ≥ 15.00 req/s (2,500 tok/s)')
  })

  it('plots goodput only for runs with SLOs', async () => {
    const noSlos = await fixture('no-slos.json')
    const scaled = structuredClone(noSlos)
    scaled.trace.rateScale = 2
    const section = buildThroughputLoadSection(prepareRuns({runs: [{results: noSlos}, {results: scaled}]}), [])
    const values = (section.spec as {data: {values: Array<{kind: string; slo: string}>}}).data.values
    expect(values.map((v) => v.kind)).toEqual(['throughput', 'throughput'])
    expect(values.every((v) => v.slo === 'no SLOs')).toBe(true)
    expect(compileStrict(section.spec as TopLevelSpec).warnings).toEqual([])
  })
})

describe('interactivity, timeline, claims and crossover', () => {
  it('interactivity: one point per run with per-user speed, p10 <= p50 <= p90', async () => {
    const runs = prepareRuns({runs: [{results: await fixture('baseline.json')}, {results: await fixture('all-failed.json')}]})
    const section = buildInteractivitySection(runs)
    const values = (section.spec as {data: {values: Array<{userP10: number; userP50: number; userP90: number; systemTokPerS: number}>}}).data.values
    expect(values).toHaveLength(1)
    expect(values[0]).toMatchObject({userP10: 61.278, userP50: 105.675, userP90: 161.734, systemTokPerS: 1256.461})
  })

  it('timeline: picks the first single run with samples; omitted when no run has any', async () => {
    const runs = prepareRuns({runs: [{results: await fixture('empty.json')}, {results: await fixture('baseline.json'), label: 'base'}]})
    expect(pickTimelineRun(runs)?.label).toBe('base')
    const section = buildTimelineSection(runs)
    const values = (section.spec as {data: {values: Array<{kvUsagePct: number}>}}).data.values
    expect(values.length).toBe(runs[1]?.results.timeseries.tS.length)
    expect(Math.max(...values.map((v) => v.kvUsagePct))).toBeLessThanOrEqual(100)
    const none = buildTimelineSection(prepareRuns({runs: [{results: await fixture('empty.json')}]}))
    expect(none.spec).toBeNull()
    expect(none.omittedReason).toContain('empty timeseries')
  })

  it('claims: ratio rows are charted, absolute claims only tabled; omitted without claims', () => {
    const section = buildClaimsSection(craftClaims())
    const values = (section.spec as {data: {values: Array<{row: string; role: string}>}}).data.values
    expect(values.map((v) => v.row)).toEqual(['capacity-5x · azure-code', 'capacity-5x · azure-conv', 'decode-15x', 'agentic-tokens-15x'])
    expect(values[1]?.role).toBe('control')
    expect(section.table?.rows.map((r) => r[0])).toContain('decode-3000')
    expect(section.table?.rows.find((r) => r[0] === 'decode-3000')?.[1]).toBe('2,210 tok/s')
    expect(buildClaimsSection(undefined).spec).toBeNull()
  })

  it('crossover: sensitivity points, claimed targets and crossings; omitted without sensitivity', () => {
    const section = buildCrossoverSection(craftClaims())
    const layers = (section.spec as {layer: Array<{data?: {values: Array<Record<string, unknown>>}; mark: {type: string}}>}).layer
    const line = layers.find((l) => l.mark.type === 'line')
    expect(line?.data?.values).toHaveLength(7)
    const diamonds = layers.find((l) => l.mark.type === 'point')
    expect(diamonds?.data?.values.map((v) => v.prefillDecodeRatio)).toEqual([52, 80, 14])
    const claims = craftClaims()
    for (const c of claims.report.claims) c.sensitivity = null
    expect(buildCrossoverSection(claims).spec).toBeNull()
  })
})

describe('run labels and series', () => {
  it('keeps different configurations of one backend name apart and labels stay unique', async () => {
    const inputs: ReportInputs = {runs: [{results: await fixture('baseline.json')}, {results: await fixture('other-config.json')}, {results: await fixture('seed-2.json')}]}
    const runs = prepareRuns(inputs)
    expect(runs.map((r) => r.series)).toEqual(['trn3-cs3', 'trn3-cs3 [2]', 'trn3-cs3'])
    expect(runs.map((r) => r.label)).toEqual(['trn3-cs3', 'trn3-cs3 [2]', 'trn3-cs3 @ 1x'])
  })

  it('reads the offered load from the replayed rate when the replay recorded it', async () => {
    const results = await fixture('baseline.json')
    results.trace.summary = {replayedRatePerS: 42.5}
    expect(prepareRuns({runs: [{results}]})[0]?.offeredReqPerS).toBe(42.5)
  })

  it('prefers trace.offeredRatePerS, and otherwise scales the trace span by the rate scale', async () => {
    const results = await fixture('baseline.json')
    results.trace.summary = {replayedRatePerS: 42.5}
    results.trace.offeredRatePerS = 37.25
    expect(prepareRuns({runs: [{results}]})[0]?.offeredReqPerS).toBe(37.25)
    const older = await fixture('baseline.json')
    delete older.trace.offeredRatePerS
    older.trace.rateScale = 4
    // 200 requests over the trace's own 20 s span, replayed 4x as fast.
    expect(prepareRuns({runs: [{results: older}]})[0]?.offeredReqPerS).toBe(40)
    older.trace.durationS = 0
    expect(prepareRuns({runs: [{results: older}]})[0]?.offeredReqPerS).toBeNull()
  })
})
