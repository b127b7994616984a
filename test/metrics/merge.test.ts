import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {decodeHistogram} from '../../src/metrics/histograms.js'
import {mergeResults} from '../../src/metrics/merge.js'
import {MetricsRecorder} from '../../src/metrics/recorder.js'
import {buildResultsFile, serializeResults, type ResultsFile} from '../../src/metrics/results-file.js'
import {parseSlos} from '../../src/metrics/slo.js'
import {craftOutcomes, craftResults, defaultBackend, defaultTrace} from './craft-results.js'

const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'results')
const fixture = (name: string): ResultsFile => JSON.parse(readFileSync(join(fixtureDir, name), 'utf8')) as ResultsFile
const latencyKeys = ['ttft', 'tpot', 'itl', 'e2e', 'queue', 'kvTransfer'] as const

function mergeError(parts: ResultsFile[], labels: string[]): string {
  try {
    mergeResults(parts, {labels})
  } catch (error) {
    expect(error).toBeInstanceOf(TracebenchError)
    return (error as Error).message
  }
  throw new Error('expected the merge to be refused')
}

describe('mergeResults', () => {
  test('refuses steady-state points: their rates belong to their own window', () => {
    const a = fixture('baseline.json')
    const steady = {...fixture('seed-2.json'), steadyState: {sustained: true} as ResultsFile['steadyState']}
    expect(mergeError([a, steady], ['a.json', 'point.json'])).toBe(
      'cannot merge: point.json is a steady-state measurement (a capacity point, or replay --steady-state): its rates belong to its own window; merge plain replays',
    )
  })

  test('histogram counts of the merge are the sum of the parts, bucket by bucket', () => {
    const a = fixture('baseline.json')
    const b = fixture('seed-2.json')
    const merged = mergeResults([a, b])
    for (const key of latencyKeys) {
      expect(merged.metrics[key].count, key).toBe(a.metrics[key].count + b.metrics[key].count)
      const ha = decodeHistogram(a.metrics[key].histogram)
      const hb = decodeHistogram(b.metrics[key].histogram)
      const hm = decodeHistogram(merged.metrics[key].histogram)
      expect(hm.totalCount).toBe(ha.totalCount + hb.totalCount)
      for (let i = 0; i < hm.countsArrayLength; i++) {
        const expected = (i < ha.countsArrayLength ? ha.getCountAtIndex(i) : 0) + (i < hb.countsArrayLength ? hb.getCountAtIndex(i) : 0)
        if (hm.getCountAtIndex(i) !== expected) throw new Error(`${key}: bucket ${i} has ${hm.getCountAtIndex(i)}, expected ${expected}`)
      }
    }
  })

  test('counters add and rates are recomputed over the summed measured time', () => {
    const a = fixture('with-failures.json')
    const b = fixture('baseline.json')
    const merged = mergeResults([a, b])
    const c = merged.counters
    expect(c.requests).toBe(400)
    expect(c.completed).toBe(a.counters.completed + b.counters.completed)
    expect(c.failed).toBe(20)
    expect(c.failureReasons).toEqual({'exceeds-kv-capacity': 20})
    expect(c.outputTokens).toBe(a.counters.outputTokens + b.counters.outputTokens)
    expect(c.inputTokens).toBe(a.counters.inputTokens + b.counters.inputTokens)
    expect(c.preemptions).toBe(a.counters.preemptions + b.counters.preemptions)
    expect(merged.window.durationS).toBeCloseTo(a.window.durationS + b.window.durationS, 6)
    expect(merged.window.startUs).toBe(0)
    expect(merged.window.endUs).toBe(Math.max(a.window.endUs, b.window.endUs))
    expect(c.outputTokensPerS).toBeCloseTo(c.outputTokens / merged.window.durationS, 2)
    expect(c.goodput?.requests).toBe(a.counters.goodput!.requests + b.counters.goodput!.requests)
    expect(c.goodput?.ratio).toBe(c.goodput!.requests / 400)
    expect(merged.parts).toBe(2)
    expect(merged.seeds).toEqual([1, 1])
  })

  test('shards of one replay merge to exactly what one recorder measures', () => {
    const {outcomes} = craftOutcomes({requests: 1000, seed: 4})
    const slos = parseSlos(['ttft.p90<=500ms'])
    const build = (subset: typeof outcomes, startUs: number, endUs: number): ResultsFile => {
      const recorder = new MetricsRecorder({slos})
      for (const o of subset) recorder.recordOutcome(o)
      return buildResultsFile({command: ['replay'], seed: 4, trace: defaultTrace, backend: defaultBackend, slos, snapshot: recorder.finish({startUs, endUs})})
    }
    const split = 40_000_000
    const end = 120_000_000
    const whole = build(outcomes, 0, end)
    const merged = mergeResults([
      build(outcomes.filter((o) => o.arrivalUs < split), 0, split),
      build(outcomes.filter((o) => o.arrivalUs >= split), split, end),
    ])
    expect(merged.metrics).toEqual(whole.metrics)
    expect(merged.userSpeed).toEqual(whole.userSpeed)
    expect(merged.counters).toEqual(whole.counters)
    expect(merged.window).toEqual(whole.window)
  })

  test('merging is deterministic and a merged file merges again (parts accumulate)', () => {
    const a = fixture('baseline.json')
    const b = fixture('seed-2.json')
    expect(serializeResults(mergeResults([a, b]))).toBe(serializeResults(mergeResults([a, b])))
    const c = fixture('with-failures.json')
    const again = mergeResults([mergeResults([a, b]), c])
    expect(again.parts).toBe(3)
    expect(again.seeds).toEqual([1, 2, 1])
    expect(again.runIds).toHaveLength(3)
    expect(again.metrics.ttft.count).toBe(200 + 200 + 180)
    expect(again.timeseries.tS.length).toBeLessThanOrEqual(256)
  })

  test('refuses different backend configurations, naming the field and both values', () => {
    const message = mergeError([fixture('baseline.json'), fixture('other-config.json')], ['a.json', 'b.json'])
    expect(message).toBe('cannot merge: backend.config.decode.systems differs (a.json: 4, b.json: 8)')
  })

  test('refuses different models, SLOs, rate scales, tool and schema versions', () => {
    const base = fixture('baseline.json')
    expect(mergeError([base, {...base, backend: {...base.backend, model: 'qwen3-32b'}}], ['a', 'b'])).toBe(
      'cannot merge: backend.model differs (a: "llama-3.1-70b", b: "qwen3-32b")',
    )
    expect(mergeError([base, fixture('no-slos.json')], ['a', 'b'])).toBe('cannot merge: slos differs (a: ["tpot.p90<=15ms","ttft.p90<=2000ms"], b: [])')
    expect(mergeError([base, {...base, trace: {...base.trace, rateScale: 2}}], ['a', 'b'])).toBe('cannot merge: trace.rateScale differs (a: 1, b: 2)')
    expect(mergeError([base, {...base, tool: {...base.tool, version: '0.2.0'}}], ['a', 'b'])).toBe('cannot merge: tool.version differs (a: "0.1.0", b: "0.2.0")')
    expect(mergeError([base, {...base, schemaVersion: 2} as unknown as ResultsFile], ['a', 'b'])).toBe('cannot merge: schemaVersion differs (a: 1, b: 2)')
    expect(mergeError([base, {...base, trace: {...base.trace, name: 'other'}}], ['a', 'b'])).toBe(
      'cannot merge: the traces differ (a: crafted, no content hash; b: other, no content hash)',
    )
  })

  test('a different trace path (another machine) or seed does not block a merge', () => {
    const base = fixture('baseline.json')
    const moved = {...fixture('seed-2.json'), trace: {...base.trace, path: '/mnt/shared/traces/crafted.jsonl'}}
    expect(mergeResults([base, moved]).parts).toBe(2)
  })

  test('traces are compared by content: another name with the same hash merges, the same name with another hash does not', () => {
    const hashA = 'a'.repeat(64)
    const hashB = 'b'.repeat(64)
    const base = fixture('baseline.json')
    const a = {...base, trace: {...base.trace, sha256: hashA}}
    const renamed = {...fixture('seed-2.json'), trace: {...base.trace, name: 'copy-of-crafted.jsonl', sha256: hashA}}
    expect(mergeResults([a, renamed]).parts).toBe(2)
    const edited = {...fixture('seed-2.json'), trace: {...base.trace, sha256: hashB}}
    expect(mergeError([a, edited], ['a.json', 'b.json'])).toBe(
      `cannot merge: the traces differ (a.json: crafted, sha256 ${hashA.slice(0, 12)}...; b.json: crafted, sha256 ${hashB.slice(0, 12)}...)`,
    )
  })

  test('refuses the same run twice: one file given twice, or a merged file with one of its parts', () => {
    const a = fixture('baseline.json')
    const b = fixture('seed-2.json')
    expect(mergeError([a, b, a], ['a.json', 'b.json', 'again.json'])).toBe(
      'cannot merge: the same run is given twice (a.json and again.json both hold it); merging it again would count its requests twice',
    )
    // A copy under another command line is still the same measurement.
    expect(mergeError([a, {...a, command: ['sweep', 'other']}], ['a.json', 'copy.json'])).toMatch(/same run is given twice \(a\.json and copy\.json/)
    const merged = mergeResults([a, b], {labels: ['a.json', 'b.json']})
    expect(mergeError([merged, b], ['merged.json', 'b.json'])).toMatch(/same run is given twice \(merged\.json and b\.json both hold it\)/)
  })

  test('no parts is an error', () => {
    expect(() => mergeResults([])).toThrow(/no results/)
  })

  test('kvTransfer and timeseries merge across disaggregated runs', () => {
    const a = craftResults({kvTransferMs: 10, seed: 1})
    const b = craftResults({kvTransferMs: 10, seed: 2})
    const merged = mergeResults([a, b])
    expect(merged.metrics.kvTransfer.count).toBe(400)
    expect(Math.max(...merged.timeseries.queueDepth)).toBe(Math.max(...a.timeseries.queueDepth, ...b.timeseries.queueDepth))
    expect(merged.timeseries.tS).toEqual([...merged.timeseries.tS].sort((x, y) => x - y))
  })
})
