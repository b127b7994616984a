import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {evaluateClaims} from '../../src/claims/evaluate-claims.js'
import {formatClaimsTable} from '../../src/claims/format-claims-table.js'
import {loadClaimsFile, parseClaimsText} from '../../src/claims/load-claims.js'
import {readTraceRecords} from '../../src/claims/measure-trace-tokens.js'
import {TracebenchError} from '../../src/common/errors.js'
import {ExitCode} from '../../src/common/exit-codes.js'
import {readResultsFile} from '../../src/metrics/results-file.js'
import {readTrace} from '../../src/traces/read-trace.js'
import {craftResults} from '../metrics/craft-results.js'
import {createFakeEngine, readMix} from './fake-engine.js'

const root = join(import.meta.dirname, '..', '..')
const fixtures = join(root, 'test', 'fixtures', 'claims')
const chatTrace = join(root, 'traces', 'chat.jsonl')
const newDir = () => mkdtempSync(join(tmpdir(), 'tracebench-claims-test-'))

/** A claims file over the bundled chat trace; `claims` is YAML for the claims list. */
function claimsFile(claims: string, extraWorkloads = '') {
  const text = `version: 1
title: test claims
workloads:
  chat: {trace: ${chatTrace}, limit: 100}
  other: {trace: ${chatTrace}, limit: 40}
${extraWorkloads}claims:
${claims}`
  return parseClaimsText(text, join(fixtures, 'inline.yaml'))
}

const capacityClaim = (id: string, ratio: number, extra = '') =>
  `  - {id: ${id}, claim: more capacity, source: test, workloads: [chat], subject: trn3-cs3, baseline: cs3, metric: {kind: capacity, minUserSpeed: 1000, footprint: {per: racks}}, expect: {ratio: ${ratio}}${extra}}\n`

describe('verdicts through the whole pipeline', () => {
  // trn3-cs3: 5,000 tok/s on 4 racks; cs3: 1,000 tok/s on 2 racks -> 1,250 vs 500 per rack = 2.5x.
  const engineSpec = {
    capacity: (r: {backend: string}) => ({outputTokensPerS: r.backend === 'trn3-cs3' ? 5000 : 1000}),
    footprints: {cs3: {racks: 2}},
  }

  test('an expected ratio just below the measured one is supported, just above is not; shared measurements run once', async () => {
    const engine = createFakeEngine(engineSpec)
    const file = claimsFile(capacityClaim('below', 2.5 * (1 - 1e-9)) + capacityClaim('above', 2.5 * (1 + 1e-9)) + capacityClaim('exact', 2.5))
    const report = await evaluateClaims(file, {engine, workDir: newDir()})
    const [below, above, exact] = report.claims.map((c) => c.rows[0]!)
    expect(below).toMatchObject({verdict: 'supported', bound: 'exact', unit: 'x'})
    expect(below!.measured).toBeCloseTo(2.5, 12)
    expect(above!.verdict).toBe('not-supported')
    expect(exact!.verdict).toBe('supported')
    expect(below!.subject).toMatchObject({label: 'trn3-cs3', value: 1250, unit: 'tok/s per rack'})
    expect(below!.baseline).toMatchObject({label: 'cs3', value: 500})
    // Three claims, one workload, two backends: two capacity searches.
    expect(engine.calls.capacity).toHaveLength(2)
    expect(engine.calls.capacity[0]).toMatchObject({slos: [], minUserSpeed: 1000, footprintMatch: null, limit: 100})
  })

  test('the same property holds on a real trace: tokens per query measured from the bundled traces', async () => {
    const file = loadClaimsFile(join(fixtures, 'tiny.yaml'))
    const engine = createFakeEngine({decode: () => 1, replay: () => craftResults()})
    const report = await evaluateClaims(file, {engine, workDir: newDir()})
    const row = report.claims[0]!.rows[0]!
    const coding = await readTraceRecords(join(root, 'traces', 'coding.jsonl'), 50)
    const chat = await readTraceRecords(join(root, 'traces', 'chat.jsonl'), 50)
    const mean = (rs: {inputTokens: number}[]) => rs.reduce((s, r) => s + r.inputTokens, 0) / rs.length
    expect(row.measured).toBeCloseTo(mean(coding) / mean(chat), 10)
    expect(row.subject?.detail).toMatchObject({counted: 'input tokens per request', requests: 50})
    for (const [target, verdict] of [
      [row.measured! * (1 - 1e-9), 'supported'],
      [row.measured! * (1 + 1e-9), 'not-supported'],
    ] as const) {
      const again = await evaluateClaims({...file, claims: [{...file.claims[0]!, expect: {ratio: target}}]}, {engine, workDir: newDir()})
      expect(again.claims[0]!.rows[0]!.verdict).toBe(verdict)
    }
    // The optional trace that is absent: inconclusive, with the reason.
    const missing = report.claims[0]!.rows.find((r) => r.workload === 'missing')!
    expect(missing).toMatchObject({verdict: 'inconclusive', measured: null})
    expect(missing.reason).toBe('missing: optional trace not found: ./not-here.csv')
  })

  test('latency claims are oriented baseline / subject ("x times faster")', async () => {
    const engine = createFakeEngine({replay: (r) => craftResults({ttftFactor: r.backend === 'gpu-h100' ? 4 : 1, backend: {name: r.backend}})})
    const file = claimsFile(
      `  - {id: ttft, claim: faster, source: test, workloads: [chat], subject: trn3-cs3, baseline: gpu-h100, metric: {kind: ttft, stat: p99, rateScale: 2}, expect: {ratio: 3}}\n` +
        `  - {id: ttft-abs, claim: fast, source: test, workloads: [chat], subject: trn3-cs3, metric: {kind: ttft, stat: p99}, expect: {value: 700}}\n`,
    )
    const out = newDir()
    const report = await evaluateClaims(file, {engine, workDir: out, outDir: out})
    const row = report.claims[0]!.rows[0]!
    const subject = craftResults({ttftFactor: 1}).metrics.ttft.p99!
    const baseline = craftResults({ttftFactor: 4}).metrics.ttft.p99!
    expect(row.measured).toBeCloseTo(baseline / subject, 9)
    expect(row.verdict).toBe('supported')
    expect(engine.calls.replay[0]).toMatchObject({rateScale: 2, slos: []})
    // An absolute latency claim holds when the measured value is at most the target.
    const absolute = report.claims[1]!.rows[0]!
    expect(absolute).toMatchObject({unit: 'ms', target: 700})
    expect(absolute.verdict).toBe(subject <= 700 ? 'supported' : 'not-supported')
    // Results files are written under --out and named in the row.
    expect(row.subject?.resultsFile).toBe(join('results', 'ttft', 'chat.subject.json'))
    const written = await readResultsFile(join(out, row.subject!.resultsFile!))
    expect(written.metrics.ttft.p99).toBe(subject)
  })

  test('inconclusive: a bracket limit on the wrong side, zero baseline capacity, a user error; bugs propagate', async () => {
    const lowerBound = createFakeEngine({capacity: (r) => (r.backend === 'cs3' ? {outputTokensPerS: 1000, status: 'lower-bound'} : {outputTokensPerS: 3000})})
    const bound = (await evaluateClaims(claimsFile(capacityClaim('c', 2)), {engine: lowerBound, workDir: newDir()})).claims[0]!.rows[0]!
    // The baseline's capacity is only a lower bound, so 3x is an upper bound on the ratio: it cannot prove >= 2x.
    expect(bound).toMatchObject({verdict: 'inconclusive', bound: 'at-most', measured: 3})
    expect((await evaluateClaims(claimsFile(capacityClaim('c', 4)), {engine: lowerBound, workDir: newDir()})).claims[0]!.rows[0]!.verdict).toBe('not-supported')

    const zero = createFakeEngine({capacity: (r) => (r.backend === 'cs3' ? {outputTokensPerS: 0, status: 'not-reachable'} : {outputTokensPerS: 3000})})
    const zeroRow = (await evaluateClaims(claimsFile(capacityClaim('c', 2)), {engine: zero, workDir: newDir()})).claims[0]!.rows[0]!
    expect(zeroRow.verdict).toBe('inconclusive')
    expect(zeroRow.reason).toBe('cs3 measured 0, so the ratio is unbounded (a capacity of 0: the SLOs fail even at the lowest load)')
    // A subject with zero capacity is a real, refuting number.
    const zeroSubject = createFakeEngine({capacity: (r) => (r.backend === 'trn3-cs3' ? {outputTokensPerS: 0, status: 'not-reachable'} : {outputTokensPerS: 3000})})
    expect((await evaluateClaims(claimsFile(capacityClaim('c', 2)), {engine: zeroSubject, workDir: newDir()})).claims[0]!.rows[0]).toMatchObject({verdict: 'not-supported', measured: 0})

    const doesNotFit = createFakeEngine({
      decode: (r) => {
        if (r.backend === 'gpu-h100') throw new TracebenchError('llama-3.1-405b at fp8 does not fit on 4 h100-sxm chips')
        return 965
      },
    })
    const decode = `  - {id: d, claim: fast decode, source: test, workloads: [chat], model: llama-3.1-405b, subject: cs3, baseline: gpu-h100, metric: {kind: decode-speed}, expect: {ratio: 15}}\n`
    const fitRow = (await evaluateClaims(claimsFile(decode), {engine: doesNotFit, workDir: newDir()})).claims[0]!.rows[0]!
    expect(fitRow).toMatchObject({verdict: 'inconclusive', measured: null})
    expect(fitRow.reason).toBe('gpu-h100: llama-3.1-405b at fp8 does not fit on 4 h100-sxm chips')
    expect(fitRow.baseline?.error).toContain('does not fit')

    const buggy = createFakeEngine({
      decode: () => {
        throw new TypeError('bug')
      },
    })
    await expect(evaluateClaims(claimsFile(decode), {engine: buggy, workDir: newDir()})).rejects.toThrow('bug')
  })

  test('decode speed from the cost model uses the workload mean context', async () => {
    const engine = createFakeEngine({decode: (r) => (r.backend === 'cs3' ? 2200 : 88)})
    const file = claimsFile(`  - {id: d, claim: fast decode, source: test, workloads: [chat], subject: cs3, baseline: gpu-h100, metric: {kind: decode-speed}, expect: {ratio: 25}}\n`)
    const report = await evaluateClaims(file, {engine, workDir: newDir()})
    const records = await readTraceRecords(chatTrace, 100)
    const context = Math.round(records.reduce((s, r) => s + r.inputTokens + r.outputTokens / 2, 0) / records.length)
    expect(engine.calls.decode.map((d) => d.contextTokens)).toEqual([context, context])
    expect(report.claims[0]!.rows[0]).toMatchObject({verdict: 'supported', measured: 25})
  })
})

describe('gating and exit codes', () => {
  const engine = () => createFakeEngine({decode: (r) => (r.backend === 'cs3' ? 1000 : 100)})
  const claim = (id: string, gate: boolean, claimedOn = '[chat]') =>
    `  - {id: ${id}, claim: x, source: test, workloads: [chat, other], claimedOn: ${claimedOn}, subject: cs3, baseline: gpu-h100, metric: {kind: decode-speed}, expect: {ratio: 20}, gate: ${gate}}\n`

  test('a gate claim not supported on a claimed workload fails with 98; controls never gate', async () => {
    const failing = await evaluateClaims(claimsFile(claim('g', true)), {engine: engine(), workDir: newDir()})
    expect(failing).toMatchObject({passed: false, exitCode: ExitCode.claimsNotSupported, gating: 'gate'})
    expect(failing.counts).toMatchObject({rows: 2, notSupported: 2, gatingFailures: 1})
    expect(failing.claims[0]!.rows.map((r) => [r.workload, r.claimed, r.gating])).toEqual([
      ['chat', true, true],
      ['other', false, false],
    ])
    const ungated = await evaluateClaims(claimsFile(claim('g', false)), {engine: engine(), workDir: newDir()})
    expect(ungated).toMatchObject({passed: true, exitCode: 0})
  })

  test('--strict makes every claim gate', async () => {
    const strict = await evaluateClaims(claimsFile(claim('g', false)), {engine: engine(), workDir: newDir(), strict: true})
    expect(strict).toMatchObject({passed: false, exitCode: 98, gating: 'strict'})
    expect(strict.counts.gatingFailures).toBe(1)
  })
})

describe('sensitivity sweep', () => {
  // ratio = 2 - log10(input/output): 1 at input/output 10, the target 1.5 at 10^0.5.
  const engine = () =>
    createFakeEngine({
      capacity: (r, io) => ({outputTokensPerS: r.backend === 'trn3-cs3' ? Math.max(0, 2 - Math.log10(io)) * 100 : 100}),
    })

  test('writes transformed traces as native JSONL and finds where the ratio crosses 1 and the target', async () => {
    const out = newDir()
    const file = claimsFile(capacityClaim('c', 1.5, ', sensitivity: {workload: chat, vary: input, factors: [0.1, 0.3, 1, 3, 10]}'))
    const report = await evaluateClaims(file, {engine: engine(), workDir: out, outDir: out})
    const sweep = report.claims[0]!.sensitivity!
    expect(sweep.points.map((p) => p.factor)).toEqual([0.1, 0.3, 1, 3, 10])
    for (const p of sweep.points) {
      expect(p.ratio).toBeCloseTo(Math.max(0, 2 - Math.log10(p.inputOutputRatio)), 9)
      if (p.factor === 1) continue
      expect(p.trace).toBe(join('workloads', `chat.input-x${p.factor}.jsonl`))
      // A real native trace that the trace reader accepts, with the inputs scaled.
      const reader = readTrace(join(out, p.trace))
      let n = 0
      for await (const record of reader) {
        expect(record.inputTokens).toBeGreaterThanOrEqual(1)
        n++
      }
      expect(n).toBe(100)
      expect(reader.stats.format).toBe('native')
      expect(readMix(join(out, p.trace))).toBeCloseTo(p.inputOutputRatio, 2)
    }
    const base = sweep.points.find((p) => p.factor === 1)!
    expect(base.inputOutputRatio).toBeCloseTo(report.workloads.find((w) => w.name === 'chat')!.tokens!.inputOutputRatio!, 9)
    // Linear in log(input/output), so the interpolation is exact up to rounding of the scaled tokens.
    expect(sweep.breakEven).toHaveLength(1)
    expect(sweep.breakEven[0]).toMatchObject({level: 1, direction: 'falls-below', betweenFactors: [1, 3]})
    expect(sweep.breakEven[0]!.inputOutputRatio).toBeCloseTo(10, 1)
    expect(sweep.claimCrossing[0]!.inputOutputRatio).toBeCloseTo(Math.sqrt(10), 1)
    expect(sweep.summary).toContain('break-even (1x) at input/output ≈ 10')
    // The factor-1 point is the claim row's own measurement (shared, not replayed twice).
    expect(base.ratio).toBeCloseTo(report.claims[0]!.rows[0]!.measured!, 12)
  })

  test('a point where a side failed too many requests has no ratio and takes no part in the crossings', async () => {
    // Past input/output 10 (factor 3 and up) the subject fails half its requests.
    const failing = createFakeEngine({
      capacity: (r, io) => ({
        outputTokensPerS: r.backend === 'trn3-cs3' ? Math.max(0, 2 - Math.log10(io)) * 100 : 100,
        results: craftResults({failEvery: r.backend === 'trn3-cs3' && io > 10 ? 2 : 0}),
      }),
    })
    const file = claimsFile(capacityClaim('c', 1.5, ', sensitivity: {workload: chat, vary: input, factors: [0.1, 0.3, 1, 3, 10]}'))
    const sweep = (await evaluateClaims(file, {engine: failing, workDir: newDir()})).claims[0]!.sensitivity!
    const [x3, x10] = sweep.points.slice(3)
    for (const p of [x3!, x10!]) {
      expect(p).toMatchObject({ratio: null, verdict: 'inconclusive'})
      expect(p.reason).toMatch(/^trn3-cs3 failed 100 of 200 requests \(50%; exceeds-kv-capacity: 100\): more than the 1%/)
      expect(p.subject).not.toBeNull()
    }
    // Without the failing points the ratio never falls to 1: no break-even in the range.
    expect(sweep.breakEven).toEqual([])
    expect(sweep.summary).toContain('no break-even in the range')
  })
})

describe('decode speeds that are predicted, not calibrated', () => {
  const decodeClaim = (id: string, ratio: number) =>
    `  - {id: ${id}, claim: faster decode, source: test, workloads: [chat], model: llama-4-scout, subject: cs3, baseline: gpu-h100, metric: {kind: decode-speed, method: cost-model}, expect: {ratio: ${ratio}}}\n`
  // The subject's speed is predicted: the truth is 0.6x to 1.5x of it (the baseline is a GPU, no range).
  const why = 'llama-4-scout has no published per-user speed on cs3'
  const engine = () =>
    createFakeEngine({
      decode: (r) => (r.backend === 'cs3' ? {tokensPerS: 2000, kvCapacityTokens: 1e6, speedUncertainty: {relativeRange: [0.6, 1.5], why}} : 200),
    })

  test('a ratio whose range crosses the target is inconclusive, saying why; one whose range does not keeps its verdict', async () => {
    const report = await evaluateClaims(claimsFile(decodeClaim('crosses', 12) + decodeClaim('above', 5) + decodeClaim('below', 16)), {engine: engine(), workDir: newDir()})
    const [crosses, above, below] = report.claims.map((c) => c.rows[0]!)
    // Measured 10x; the range is 6x to 15x.
    expect(crosses!.measured).toBe(10)
    expect(crosses!.verdict).toBe('inconclusive')
    expect(crosses!.reason).toBe(
      `measured 10x, which is below the claimed 12x; but ${why}, so the true value lies between 6x and 15x, on both sides of 12x: the measurement cannot tell`,
    )
    expect(above!.verdict).toBe('supported')
    expect(below!.verdict).toBe('not-supported')
    expect(crosses!.subject!.detail.speedRange).toEqual([1200, 3000])
  })
})

describe('KV bandwidth sweep', () => {
  // The subject's capacity follows the achieved fraction its backend file sets (the preset's own is 0.71).
  const fractionOf = (backend: string): number => {
    if (backend === 'trn3-cs3') return 0.71
    return (JSON.parse(readFileSync(backend, 'utf8')) as {kvTransfer: {achievedBandwidthFraction: number}}).kvTransfer.achievedBandwidthFraction
  }
  const engine = () => createFakeEngine({capacity: (r) => ({outputTokensPerS: r.backend === 'cs3' ? 100 : 400 * fractionOf(r.backend)})})

  test('measures the subject at each achieved fraction of its KV link, the baseline once, and finds where the claim is crossed', async () => {
    const fake = engine()
    const file = claimsFile(capacityClaim('c', 2, ', kvBandwidthSensitivity: {workload: chat, fractions: [0.1, 0.95, 0.71, 0.25]}'))
    const report = await evaluateClaims(file, {engine: fake, workDir: newDir()})
    const sweep = report.claims[0]!.kvBandwidthSensitivity!
    expect(sweep).toMatchObject({workload: 'chat', link: 'trn3-server-to-cs3', lineRateBytesPerS: 100e9, defaultFraction: 0.71})
    expect(sweep.points.map((p) => [p.fraction, p.achievedBytesPerS])).toEqual([
      [0.95, 95e9],
      [0.71, 71e9],
      [0.25, 25e9],
      [0.1, 10e9],
    ])
    for (const p of sweep.points) expect(p.ratio).toBeCloseTo(4 * p.fraction, 12)
    // 0.71 is the preset as it is: shared with the claim row, not a copy of the backend.
    expect(fake.calls.capacity.filter((c) => c.backend === 'cs3')).toHaveLength(1)
    expect(fake.calls.capacity.filter((c) => c.backend === 'trn3-cs3')).toHaveLength(1)
    expect(fake.calls.capacity.filter((c) => c.backend.endsWith('.json')).map((c) => fractionOf(c.backend)).sort()).toEqual([0.1, 0.25, 0.95])
    expect(sweep.summary).toBe('ratio 3.8x at 95 GB/s (0.95 of 100 GB/s line rate) to 0.4x at 10 GB/s; the claimed 2x is crossed between 71 GB/s and 25 GB/s')
    expect(formatClaimsTable(report)).toMatch(/0\.71 \(default\) +71 +71 +25 +2\.84x +supported +0/)
  })

  test('refuses a sweep on a subject that moves no KV, naming the field', () => {
    expect(() => claimsFile(capacityClaim('c', 2, ', kvBandwidthSensitivity: {workload: chat, fractions: [0.9, 0.5]}').replace('subject: trn3-cs3', 'subject: gpu-h100'))).toThrow(
      /claims\[0\] \(c\): kvBandwidthSensitivity: the subject on chat \(gpu-h100\) has no KV link/,
    )
  })
})

describe('per-workload backends (overrides)', () => {
  const longSubject = join(root, 'claims', 'backends', 'trn3-cs3-long-context.yaml')
  const longBaseline = join(root, 'claims', 'backends', 'cs3-long-context.yaml')

  test('a workload with an override is measured on its backends, the others on subject/baseline; the sweep follows its workload', async () => {
    // Capacity by backend label; the long-context pair gives 3x, the presets 2x.
    const tokens: Record<string, number> = {'trn3-cs3': 2000, cs3: 1000, [longSubject]: 3000, [longBaseline]: 1000}
    const engine = createFakeEngine({capacity: (r) => ({outputTokensPerS: tokens[r.backend] ?? Number.NaN})})
    const overrides = `, overrides: {other: {subject: ${longSubject}, baseline: ${longBaseline}}}, sensitivity: {workload: other, vary: input, factors: [1, 2]}`
    const file = claimsFile(capacityClaim('c', 2.5, overrides).replace('workloads: [chat]', 'workloads: [chat, other]'))
    const report = await evaluateClaims(file, {engine, workDir: newDir()})
    const claim = report.claims[0]!
    const [chat, other] = claim.rows
    expect(chat).toMatchObject({workload: 'chat', measured: 2, verdict: 'not-supported', subject: {label: 'trn3-cs3'}, baseline: {label: 'cs3'}})
    expect(other).toMatchObject({workload: 'other', measured: 3, verdict: 'supported', subject: {label: 'trn3-cs3-long-context'}, baseline: {label: 'cs3-long-context'}})
    expect(claim).toMatchObject({subject: 'trn3-cs3', baseline: 'cs3', overrides: {other: {subject: 'trn3-cs3-long-context', baseline: 'cs3-long-context'}}, maxFailedRatio: 0.01})
    // The chat trace limited to 40 requests is "other": only the long-context backends saw it.
    const byLimit = (limit: number) => engine.calls.capacity.filter((c) => c.limit === limit).map((c) => c.backend).sort()
    expect(byLimit(40)).toEqual([longBaseline, longSubject])
    expect(byLimit(100)).toEqual(['cs3', 'trn3-cs3'])
    expect(engine.calls.capacity.filter((c) => c.limit === null).map((c) => c.backend).sort()).toEqual([longBaseline, longSubject])
    expect(claim.sensitivity!.points.every((p) => p.ratio === 3)).toBe(true)
    // The printed table names each row's own backends.
    const table = formatClaimsTable(report)
    expect(table).toMatch(/c +chat +trn3-cs3 vs cs3 \(llama-3\.3-70b\) +2x/)
    expect(table).toMatch(/c +other +trn3-cs3-long-context vs cs3-long-context \(llama-3\.3-70b\) +3x/)
    expect(table).toMatch(/factor +input\/output +trn3-cs3-long-context +cs3-long-context/)
  })

  test('an override may replace the subject alone; the baseline stays', async () => {
    const engine = createFakeEngine({decode: (r) => (r.backend === 'gpu-h100' ? 100 : r.backend === 'cs3' ? 1000 : 2000)})
    const file = claimsFile(
      `  - {id: d, claim: x, source: y, workloads: [chat, other], subject: cs3, baseline: gpu-h100, overrides: {other: {subject: ${longBaseline}}}, metric: {kind: decode-speed}, expect: {ratio: 15}}\n`,
    )
    const rows = (await evaluateClaims(file, {engine, workDir: newDir()})).claims[0]!.rows
    expect(rows.map((r) => [r.subject?.label, r.baseline?.label, r.measured])).toEqual([
      ['cs3', 'gpu-h100', 10],
      ['cs3-long-context', 'gpu-h100', 20],
    ])
  })
})

describe('failed requests, measurement precision and context fit make a row inconclusive', () => {
  const replayClaim = (extra = '') =>
    `  - {id: r, claim: faster, source: test, workloads: [chat], subject: trn3-cs3, baseline: gpu-h100, metric: {kind: e2e, stat: p50}, expect: {ratio: 0.5}${extra}}\n`
  // trn3-cs3 fails every n-th request, gpu-h100 none.
  const failing = (every: number) =>
    createFakeEngine({replay: (r) => craftResults({failEvery: r.backend === 'trn3-cs3' ? every : 0, requests: 200, backend: {name: r.backend}})})

  test('more than 1% failed on a side: inconclusive, the measured ratio kept, the side named', async () => {
    const row = (await evaluateClaims(claimsFile(replayClaim()), {engine: failing(2), workDir: newDir()})).claims[0]!.rows[0]!
    expect(row.verdict).toBe('inconclusive')
    expect(row.measured).not.toBeNull()
    expect(row.reason).toMatch(
      /^trn3-cs3 failed 100 of 200 requests \(50%; exceeds-kv-capacity: 100\): more than the 1% of requests allowed to fail \(maxFailedRatio\), so the value describes a backend that cannot serve this workload, not the claim \(measured [\d.]+x\)$/,
    )
  })

  test('at most 1% failed: the verdict stands and the reason notes the failures; maxFailedRatio relaxes the rule', async () => {
    // 2 of 200 = 1%: exactly the limit.
    const row = (await evaluateClaims(claimsFile(replayClaim()), {engine: failing(100), workDir: newDir()})).claims[0]!.rows[0]!
    expect(row.verdict).not.toBe('inconclusive')
    expect(row.reason).toMatch(/; note: trn3-cs3 failed 2 of 200 requests \(1%; exceeds-kv-capacity: 2\)$/)
    // 3 of 200 = 1.5%: over; allowed with maxFailedRatio 0.02 on the claim, or in defaults.
    expect((await evaluateClaims(claimsFile(replayClaim()), {engine: failing(66), workDir: newDir()})).claims[0]!.rows[0]!.verdict).toBe('inconclusive')
    const relaxed = (await evaluateClaims(claimsFile(replayClaim(', maxFailedRatio: 0.02')), {engine: failing(66), workDir: newDir()})).claims[0]!.rows[0]!
    expect(relaxed.verdict).not.toBe('inconclusive')
    expect(relaxed.reason).toContain('note: trn3-cs3 failed 3 of 200 requests (1.5%')
  })

  test('capacities known to within their search precision: a ratio whose range straddles the target is inconclusive', async () => {
    // 5,010 / 1,000 = 5.01x; each side may be up to 5% higher, so 4.77x to 5.26x.
    const engine = (precision: number) =>
      createFakeEngine({capacity: (r) => ({outputTokensPerS: r.backend === 'trn3-cs3' ? 5010 : 1000, achievedPrecision: precision}), footprints: {cs3: {racks: 4}}})
    const straddles = (await evaluateClaims(claimsFile(capacityClaim('c', 5)), {engine: engine(0.05), workDir: newDir()})).claims[0]!.rows[0]!
    expect(straddles).toMatchObject({verdict: 'inconclusive', measured: 5.01})
    expect(straddles.reason).toBe(
      'measured 5.01x, which meets the claimed 5x; but each capacity is known only to within its search precision (trn3-cs3 +5%, cs3 +5%), so the true value lies between 4.77x and 5.26x, on both sides of 5x: the measurement cannot tell',
    )
    expect(straddles.subject?.detail.achievedPrecision).toBe(0.05)
    // A finer search decides; so does a target outside the range.
    expect((await evaluateClaims(claimsFile(capacityClaim('c', 5)), {engine: engine(0.001), workDir: newDir()})).claims[0]!.rows[0]!.verdict).toBe('supported')
    expect((await evaluateClaims(claimsFile(capacityClaim('c', 5.5)), {engine: engine(0.05), workDir: newDir()})).claims[0]!.rows[0]!.verdict).toBe('not-supported')
    expect((await evaluateClaims(claimsFile(capacityClaim('c', 4.7)), {engine: engine(0.05), workDir: newDir()})).claims[0]!.rows[0]!.verdict).toBe('supported')
  })

  test('cost-model decode speed at a context the decode replica cannot hold is inconclusive, naming both numbers', async () => {
    const engine = createFakeEngine({decode: (r) => (r.backend === 'cs3' ? {tokensPerS: 2200, kvCapacityTokens: 500} : {tokensPerS: 88, kvCapacityTokens: 700_000})})
    const file = claimsFile(`  - {id: d, claim: fast decode, source: test, workloads: [chat], subject: cs3, baseline: gpu-h100, metric: {kind: decode-speed}, expect: {ratio: 15}}\n`)
    const row = (await evaluateClaims(file, {engine, workDir: newDir()})).claims[0]!.rows[0]!
    const context = engine.calls.decode[0]!.contextTokens
    expect(context).toBeGreaterThan(500)
    expect(row).toMatchObject({verdict: 'inconclusive', measured: null})
    expect(row.reason).toBe(
      `cs3: the workload's mean context of ${context.toLocaleString('en-US')} tokens does not fit the KV cache of one pool replica (500 tokens of llama-3.3-70b on 4 fake chips); use a backend with more memory per replica`,
    )
    expect(row.subject?.detail).toMatchObject({kvCapacityTokens: 500, contextTokens: context})
    // When both sides have no value, both reasons are given.
    const neither = createFakeEngine({decode: () => ({tokensPerS: 1, kvCapacityTokens: 1})})
    const both = (await evaluateClaims(file, {engine: neither, workDir: newDir()})).claims[0]!.rows[0]!
    expect(both.reason).toMatch(/^cs3: the workload's mean context .*; gpu-h100: the workload's mean context /)
  })
})
