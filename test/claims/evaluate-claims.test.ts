import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {evaluateClaims} from '../../src/claims/evaluate-claims.js'
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
})
