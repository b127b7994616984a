import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {build, encodeIntoCompressedBase64} from 'hdr-histogram-js'
import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {summarizeHistogram} from '../../src/metrics/histograms.js'
import {parseResultsText, serializeResults, type ResultsFile} from '../../src/metrics/results-file.js'
import {readVerifiedResults, verifyResults} from '../../src/metrics/verify-results.js'

const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'results')
const fixture = (name: string): ResultsFile => JSON.parse(readFileSync(join(fixtureDir, name), 'utf8')) as ResultsFile
const dir = mkdtempSync(join(tmpdir(), 'tracebench-verify-'))

function refusal(results: ResultsFile): string {
  try {
    verifyResults(results, 'edited.json')
  } catch (error) {
    expect(error).toBeInstanceOf(TracebenchError)
    return (error as Error).message
  }
  throw new Error('expected the file to be refused')
}

describe('verifyResults', () => {
  test('every valid fixture agrees with its own data', async () => {
    const valid = readdirSync(fixtureDir).filter((name) => name.endsWith('.json') && !name.startsWith('bad-'))
    expect(valid.length).toBeGreaterThan(8)
    for (const name of valid) await readVerifiedResults(join(fixtureDir, name))
  })

  test('refuses a summary percentile that its histogram does not support', () => {
    const edited = fixture('baseline.json')
    edited.metrics.ttft.p99 = 200
    expect(refusal(edited)).toBe(
      "edited.json: metrics.ttft.p99 is 200, but recomputed from its histogram it is 744.959; the file's numbers do not match its data (edited or corrupt), so it is not used",
    )
  })

  test('refuses a rate that does not follow from the counts and the window', () => {
    const edited = fixture('baseline.json')
    edited.counters.outputTokensPerS = 2 * edited.counters.outputTokensPerS!
    expect(refusal(edited)).toMatch(/^edited\.json: counters\.outputTokensPerS is 2512\.922, but recomputed from the counts over window\.durationS it is 1256\.461;/)
  })

  test('refuses per-user speed, goodput and failure counts that disagree', () => {
    const speed = fixture('baseline.json')
    speed.userSpeed.p10 = 3000
    expect(refusal(speed)).toMatch(/^edited\.json: userSpeed\.p10 is 3000, but recomputed from the tpot histogram it is 61\.278;/)
    const ratio = fixture('baseline.json')
    ratio.counters.goodput!.ratio = 1
    expect(refusal(ratio)).toMatch(/^edited\.json: counters\.goodput\.ratio is 1, but recomputed from goodput requests \/ requests it is 0\.85;/)
    const failures = fixture('with-failures.json')
    failures.counters.failed = 0
    expect(refusal(failures)).toMatch(/^edited\.json: counters\.failed is 0, but recomputed from the sum of counters\.failureReasons it is 20;/)
  })

  test('refuses a histogram of another layout, even with a consistent summary', () => {
    const foreign = build({bitBucketSize: 64, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, useWebAssembly: false})
    for (const us of [120_000, 250_000, 990_000]) foreign.recordValue(us)
    const edited = fixture('no-slos.json')
    edited.metrics.queue = {...summarizeHistogram(foreign as never), histogram: encodeIntoCompressedBase64(foreign), clampedCount: 0}
    const path = join(dir, 'foreign-layout.json')
    writeFileSync(path, JSON.stringify(edited))
    expect(() => parseResultsText(readFileSync(path, 'utf8'), path)).toThrow(
      `${path}: metrics.queue.histogram: histogram of another layout (highestTrackableValue 3600000000, expected 604800000000); tracebench reads only histograms it recorded, so it does not merge or compare this one`,
    )
  })

  test('readVerifiedResults names the file it refuses', async () => {
    const edited = fixture('tpot-plus-11pct.json')
    edited.metrics.tpot.p90 = 16
    const path = join(dir, 'tpot-edited.json')
    writeFileSync(path, serializeResults(edited))
    await expect(readVerifiedResults(path)).rejects.toThrow(`${path}: metrics.tpot.p90 is 16, but recomputed from its histogram it is 18.111;`)
  })
})
