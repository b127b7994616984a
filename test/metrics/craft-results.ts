/**
 * Builds crafted, deterministic results files for tests (metrics, gates, reports) without
 * a simulator: synthetic request outcomes from a seeded generator go through the real
 * MetricsRecorder and buildResultsFile, so the files are valid by construction.
 */
import {MetricsRecorder} from '../../src/metrics/recorder.js'
import type {RequestOutcome} from '../../src/metrics/request-outcome.js'
import {buildResultsFile, type ResultsBackend, type ResultsFile, type ResultsTrace} from '../../src/metrics/results-file.js'
import {parseSlos} from '../../src/metrics/slo.js'

export interface CraftOptions {
  seed?: number
  requests?: number
  /** Median TTFT (queue + prefill) in ms; spread is lognormal-ish. */
  ttftMs?: number
  /** Median TPOT in ms. */
  tpotMs?: number
  /** Multiplies every TPOT (for regression fixtures: 1.11 = +11%). */
  tpotFactor?: number
  /** Multiplies every TTFT. */
  ttftFactor?: number
  /** Fail every n-th request (0 = none). */
  failEvery?: number
  failReason?: string
  /** KV transfer per request in ms (0 = aggregated backend). */
  kvTransferMs?: number
  /** Mean inter-arrival in ms. */
  interArrivalMs?: number
  slos?: string[]
  backend?: Partial<ResultsBackend>
  trace?: Partial<ResultsTrace>
  command?: string[]
}

export const defaultBackend: ResultsBackend = {
  name: 'trn3-cs3',
  kind: 'simulated',
  model: 'llama-3.1-70b',
  description: 'Disaggregated: Trainium3 prefill, EFA, CS-3 decode (crafted test fixture)',
  footprint: {systems: 6, chips: 70, racks: 3, kW: 120, usdPerHour: null},
  config: {prefill: {hardware: 'trn3', systems: 2}, decode: {hardware: 'cs3', systems: 4}, link: {name: 'efa-v3'}},
}

export const defaultTrace: ResultsTrace = {
  path: 'traces/crafted.jsonl',
  name: 'crafted',
  format: 'native',
  requests: 200,
  sessions: 0,
  durationS: 20,
  rateScale: 1,
  limit: null,
}

/** mulberry32: small, seeded, deterministic. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Synthetic outcomes (and failure indices) for `options`. */
export function craftOutcomes(options: CraftOptions = {}): {outcomes: RequestOutcome[]; failures: number[]} {
  const rng = createRng(options.seed ?? 1)
  const n = options.requests ?? 200
  const outcomes: RequestOutcome[] = []
  const failures: number[] = []
  const spread = (): number => Math.exp((rng() - 0.5) * 1.2)
  for (let i = 0; i < n; i++) {
    const arrivalUs = Math.round(i * (options.interArrivalMs ?? 100) * 1000)
    if ((options.failEvery ?? 0) > 0 && i % (options.failEvery as number) === (options.failEvery as number) - 1) {
      failures.push(i)
      continue
    }
    const queueUs = Math.round(rng() * 50_000)
    const ttftUs = Math.round((options.ttftMs ?? 400) * 1000 * spread() * (options.ttftFactor ?? 1)) + queueUs
    const tpotUs = Math.round((options.tpotMs ?? 10) * 1000 * spread() * (options.tpotFactor ?? 1))
    const outputTokens = 1 + Math.floor(rng() * 300)
    const kvTransferUs = Math.round((options.kvTransferMs ?? 0) * 1000)
    const firstTokenUs = arrivalUs + ttftUs
    const completionUs = firstTokenUs + tpotUs * (outputTokens - 1)
    outcomes.push({
      index: i,
      arrivalUs,
      startUs: arrivalUs + queueUs,
      firstTokenUs,
      completionUs,
      inputTokens: 100 + Math.floor(rng() * 2000),
      outputTokens,
      cachedTokens: Math.floor(rng() * 50),
      kvTransferUs,
      itlGapsUs: outputTokens > 1 ? [[tpotUs, outputTokens - 1]] : [],
      preemptions: rng() < 0.02 ? 1 : 0,
    })
  }
  return {outcomes, failures}
}

export function craftResults(options: CraftOptions = {}): ResultsFile {
  const slos = parseSlos(options.slos ?? [])
  const recorder = new MetricsRecorder({slos})
  const {outcomes, failures} = craftOutcomes(options)
  let endUs = 0
  const events: Array<{t: number; kind: 'start' | 'end'}> = []
  for (const o of outcomes) {
    recorder.recordOutcome(o)
    endUs = Math.max(endUs, o.completionUs)
    events.push({t: o.arrivalUs, kind: 'start'}, {t: o.completionUs, kind: 'end'})
  }
  for (const index of failures) {
    endUs = Math.max(endUs, Math.round(index * (options.interArrivalMs ?? 100) * 1000))
    recorder.recordFailure({index, arrivalUs: Math.round(index * (options.interArrivalMs ?? 100) * 1000), reason: options.failReason ?? 'exceeds-kv-capacity'})
  }
  // A plausible state timeline: running requests over time.
  events.sort((a, b) => a.t - b.t || (a.kind === 'end' ? -1 : 1))
  let running = 0
  for (const e of events) {
    running += e.kind === 'start' ? 1 : -1
    recorder.sampleState({tUs: e.t, queueDepth: Math.max(0, running - 8), batchSize: Math.min(running, 8), kvUsage: Math.min(1, running / 16)})
  }
  const snapshot = recorder.finish({startUs: 0, endUs})
  return buildResultsFile({
    tool: {name: 'tracebench', version: '0.1.0'},
    command: options.command ?? ['replay', 'traces/crafted.jsonl', '--backend', options.backend?.name ?? defaultBackend.name, '--out', 'results.json'],
    seed: options.seed ?? 1,
    trace: {...defaultTrace, requests: options.requests ?? 200, ...options.trace},
    backend: {...defaultBackend, ...options.backend},
    slos,
    snapshot,
  })
}
