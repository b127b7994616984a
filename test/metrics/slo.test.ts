import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import type {RequestOutcome} from '../../src/metrics/request-outcome.js'
import type {ResultsFile} from '../../src/metrics/results-file.js'
import {evaluateSlo, readMetricValue} from '../../src/metrics/read-metric.js'
import {parseMetricRef, parseSlo, requestMeetsSlos, SloParseError} from '../../src/metrics/slo.js'

const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'results')
const fixture = (name: string): ResultsFile => JSON.parse(readFileSync(join(fixtureDir, name), 'utf8')) as ResultsFile

describe('parseSlo: valid expressions', () => {
  const cases: Array<[string, {key: string; op: string; threshold: number; unit: string; canonical: string}]> = [
    ['ttft.p90<=2s', {key: 'ttft.p90', op: '<=', threshold: 2000, unit: 'ms', canonical: 'ttft.p90<=2000ms'}],
    ['tpot.p90<=1ms', {key: 'tpot.p90', op: '<=', threshold: 1, unit: 'ms', canonical: 'tpot.p90<=1ms'}],
    ['ttft.p99 < 300ms', {key: 'ttft.p99', op: '<', threshold: 300, unit: 'ms', canonical: 'ttft.p99<300ms'}],
    ['  e2e.p99.9 <= 1.5 m  ', {key: 'e2e.p999', op: '<=', threshold: 90_000, unit: 'ms', canonical: 'e2e.p999<=90000ms'}],
    ['itl.p(99.9)<50ms', {key: 'itl.p999', op: '<', threshold: 50, unit: 'ms', canonical: 'itl.p999<50ms'}],
    ['itl.p999<50ms', {key: 'itl.p999', op: '<', threshold: 50, unit: 'ms', canonical: 'itl.p999<50ms'}],
    ['queue.max<500us', {key: 'queue.max', op: '<', threshold: 0.5, unit: 'ms', canonical: 'queue.max<0.5ms'}],
    ['kvTransfer.p50<=1.1s', {key: 'kvTransfer.p50', op: '<=', threshold: 1100, unit: 'ms', canonical: 'kvTransfer.p50<=1100ms'}],
    ['TTFT.P90 <= 2S', {key: 'ttft.p90', op: '<=', threshold: 2000, unit: 'ms', canonical: 'ttft.p90<=2000ms'}],
    ['ttft.p75<1s', {key: 'ttft.p75', op: '<', threshold: 1000, unit: 'ms', canonical: 'ttft.p75<1000ms'}],
    ['ttft.mean>=.5s', {key: 'ttft.mean', op: '>=', threshold: 500, unit: 'ms', canonical: 'ttft.mean>=500ms'}],
    ['ttft.count>=100', {key: 'ttft.count', op: '>=', threshold: 100, unit: 'count', canonical: 'ttft.count>=100'}],
    ['goodput.ratio>=0.95', {key: 'goodput.ratio', op: '>=', threshold: 0.95, unit: 'ratio', canonical: 'goodput.ratio>=0.95'}],
    ['goodput.ratio >= 95%', {key: 'goodput.ratio', op: '>=', threshold: 0.95, unit: 'ratio', canonical: 'goodput.ratio>=0.95'}],
    ['throughput.outputTokensPerS>5000', {key: 'throughput.outputTokensPerS', op: '>', threshold: 5000, unit: 'tok/s', canonical: 'throughput.outputTokensPerS>5000'}],
    ['throughput.outputtokenspers > 5000 tok/s', {key: 'throughput.outputTokensPerS', op: '>', threshold: 5000, unit: 'tok/s', canonical: 'throughput.outputTokensPerS>5000'}],
    ['throughput.requestsPerS>=10req/s', {key: 'throughput.requestsPerS', op: '>=', threshold: 10, unit: 'req/s', canonical: 'throughput.requestsPerS>=10'}],
    ['goodput.outputTokensPerS>1000', {key: 'goodput.outputTokensPerS', op: '>', threshold: 1000, unit: 'tok/s', canonical: 'goodput.outputTokensPerS>1000'}],
    ['userSpeed.p10>=1000', {key: 'userSpeed.p10', op: '>=', threshold: 1000, unit: 'tok/s', canonical: 'userSpeed.p10>=1000'}],
    ['failed.ratio==0', {key: 'failed.ratio', op: '==', threshold: 0, unit: 'ratio', canonical: 'failed.ratio==0'}],
  ]
  test.each(cases)('%s', (expression, expected) => {
    const slo = parseSlo(expression)
    expect({key: slo.key, op: slo.op, threshold: slo.threshold, unit: slo.unit, canonical: slo.canonical}).toEqual(expected)
    expect(slo.expression).toBe(expression.trim())
    // The canonical form parses back to the same SLO.
    expect(parseSlo(slo.canonical).canonical).toBe(slo.canonical)
  })

  test('percentiles are parsed to numbers', () => {
    expect(parseSlo('ttft.p999<1s').percentile).toBe(99.9)
    expect(parseSlo('ttft.p9999<1s').percentile).toBe(99.99)
    expect(parseSlo('ttft.p99.99<1s').key).toBe('ttft.p99.99')
    expect(parseSlo('ttft.p100<1s').percentile).toBe(100)
    expect(parseSlo('ttft.max<1s').percentile).toBeNull()
    expect(parseSlo('goodput.ratio>0.5').aggregation).toBeNull()
  })
})

describe('parseSlo: malformed expressions name the expression and what was expected', () => {
  const cases: Array<[string, SloParseError['part'], RegExp]> = [
    ['', 'expression', /the expression is empty; expected metric\.aggregation operator value/],
    ['ttft.p90', 'operator', /no comparison operator; expected one of < <= > >= ==/],
    ['ttft.p90=2s', 'operator', /operator "=" is not supported; expected one of < <= > >= ==/],
    ['ttft.p90 != 2s', 'operator', /operator "!=" is not supported/],
    ['ttft.p90 => 2s', 'operator', /operator "=>" is not supported/],
    ['<=2s', 'metric', /no metric before the operator; expected one of ttft\.<aggregation>/],
    ['ttfb.p90<=2s', 'metric', /unknown metric "ttfb"; expected one of ttft\.<aggregation>, tpot\.<aggregation>.*goodput\.ratio/],
    ['ttft<=2s', 'aggregation', /"ttft" needs an aggregation; expected ttft\.<aggregation> with aggregation one of p50, p90/],
    ['ttft.median<=2s', 'aggregation', /unknown aggregation "median" for ttft; expected one of p50, p90, p95, p99, p999 \(any pNN\), mean, min, max or count/],
    ['userSpeed.average>=100', 'aggregation', /unknown aggregation "average" for userSpeed; expected one of p10, p50, p90/],
    ['ttft.p900<=2s', 'aggregation', /percentile p900 is out of range; expected a percentile above 0 and at most 100/],
    ['ttft.p0<=2s', 'aggregation', /out of range/],
    ['goodput<=0.9', 'aggregation', /"goodput" needs a field; expected goodput\.<field> with field one of requestsPerS, outputTokensPerS, ratio/],
    ['throughput.tokens>5', 'aggregation', /unknown field "tokens" for throughput; expected throughput\.<field> with field one of outputTokensPerS, requestsPerS/],
    ['ttft.p90<=2', 'unit', /missing time unit after 2; expected a time unit: us, ms, s or m/],
    ['tpot.p90<=1h', 'unit', /unknown unit "h"; expected a time unit: us, ms, s or m/],
    ['ttft.p90<=fast', 'value', /"fast" is not a number; expected a non-negative number with a time unit/],
    ['ttft.p90<=-1s', 'value', /"-1s" is not a number/],
    ['ttft.p90<=', 'value', /no value after the operator; expected a number with a time unit/],
    ['ttft.p90<=2s<=3s', 'value', /contains a second operator/],
    ['goodput.ratio>=95', 'value', /goodput\.ratio is a ratio from 0 to 1, got 95; expected .*did you mean 95%\?/],
    ['goodput.ratio>=0.9ms', 'unit', /goodput\.ratio is a ratio, got unit "ms"/],
    ['throughput.outputTokensPerS>5000ms', 'unit', /throughput\.outputTokensPerS is in tok\/s, got unit "ms"; expected a plain number/],
    ['ttft.count>5ms', 'unit', /ttft\.count is a count and takes no unit/],
  ]
  test.each(cases)('%j', (expression, part, message) => {
    let error: unknown
    try {
      parseSlo(expression)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SloParseError)
    const e = error as SloParseError
    expect(e.part).toBe(part)
    expect(e.message).toContain(`invalid SLO "${expression.trim()}"`)
    expect(e.message).toMatch(message)
    expect(e.code).toBe('INVALID_SLO')
    expect(e.exitCode).toBe(2)
  })
})

describe('evaluateSlo on crafted results files', () => {
  test('a threshold the results break fails, names the metric and the value', () => {
    const result = evaluateSlo(parseSlo('ttft.p99<1s'), fixture('breaks-ttft.json'))
    expect(result.passed).toBe(false)
    expect(result.actual).toBe(1460.223)
    expect(result.reason).toBe('ttft.p99 was 1460.223 ms, expected < 1000 ms')
  })

  test('the same threshold passes on results that hold it', () => {
    const result = evaluateSlo(parseSlo('ttft.p99<1s'), fixture('baseline.json'))
    expect(result).toMatchObject({passed: true, actual: 744.959})
    expect(result.reason).toBeUndefined()
  })

  test('a metric with no data fails with reason "no data" (never passes)', () => {
    const empty = fixture('empty.json')
    for (const expr of ['ttft.p90<=2s', 'ttft.p90>=0ms', 'userSpeed.p10>=0', 'throughput.outputTokensPerS>=0', 'goodput.ratio>=0', 'failed.ratio<=1']) {
      const result = evaluateSlo(parseSlo(expr), empty)
      expect(result, expr).toMatchObject({passed: false, actual: null, reason: 'no data'})
    }
    const aggregated = evaluateSlo(parseSlo('kvTransfer.p99<1s'), fixture('aggregated.json'))
    expect(aggregated).toMatchObject({passed: false, reason: 'no data'})
    expect(aggregated.detail).toMatch(/KV link/)
    const noSlos = evaluateSlo(parseSlo('goodput.ratio>=0.5'), fixture('no-slos.json'))
    expect(noSlos).toMatchObject({passed: false, reason: 'no data'})
    expect(noSlos.detail).toMatch(/no SLOs/)
    expect(evaluateSlo(parseSlo('sendLag.p99<10ms'), fixture('baseline.json'))).toMatchObject({passed: false, reason: 'no data'})
  })

  test('zero throughput is data (0), not "no data"', () => {
    const result = evaluateSlo(parseSlo('throughput.outputTokensPerS>5000'), fixture('all-failed.json'))
    expect(result).toMatchObject({passed: false, actual: 0})
    expect(result.reason).toMatch(/was 0 tok\/s/)
  })

  test('scalar, ratio and count metrics', () => {
    const withFailures = fixture('with-failures.json')
    expect(evaluateSlo(parseSlo('failed.ratio<=0.05'), withFailures)).toMatchObject({passed: false, actual: 0.1})
    expect(evaluateSlo(parseSlo('goodput.ratio>=0.8'), withFailures)).toMatchObject({passed: false, actual: 0.765})
    expect(evaluateSlo(parseSlo('goodput.ratio>=0.8'), fixture('baseline.json'))).toMatchObject({passed: true, actual: 0.85})
    expect(evaluateSlo(parseSlo('ttft.count==180'), withFailures)).toMatchObject({passed: true, actual: 180})
    expect(evaluateSlo(parseSlo('ttft.count>0'), fixture('empty.json'))).toMatchObject({passed: false, actual: 0})
  })

  test('percentiles outside the summary are read from the histogram', () => {
    const r = fixture('baseline.json')
    const p75 = readMetricValue(r, parseMetricRef('ttft.p75'))!
    expect(p75).toBeGreaterThan(r.metrics.ttft.p50!)
    expect(p75).toBeLessThan(r.metrics.ttft.p90!)
    expect(readMetricValue(r, parseMetricRef('ttft.p100'))).toBe(r.metrics.ttft.max)
  })

  test('userSpeed reads the inverted TPOT percentiles', () => {
    const r = fixture('baseline.json')
    expect(readMetricValue(r, parseMetricRef('userSpeed.p10'))).toBe(r.userSpeed.p10)
    expect(r.userSpeed.p10!).toBeCloseTo(1000 / r.metrics.tpot.p90!, 2)
    const p25 = readMetricValue(r, parseMetricRef('userSpeed.p25'))!
    expect(p25).toBeGreaterThan(r.userSpeed.p10!)
    expect(p25).toBeLessThan(r.userSpeed.p50!)
    expect(readMetricValue(r, parseMetricRef('userSpeed.min'))).toBeCloseTo(1000 / r.metrics.tpot.max!, 2)
    expect(evaluateSlo(parseSlo('userSpeed.p10>=1000'), r)).toMatchObject({passed: false, actual: r.userSpeed.p10})
    expect(evaluateSlo(parseSlo('userSpeed.p10>=50'), r).passed).toBe(true)
  })
})

describe('requestMeetsSlos (per-request checks for goodput)', () => {
  // TTFT 1.5 s (queue 100 ms), 100 output tokens at 10 ms each, gaps 8 ms and 12 ms.
  const outcome: RequestOutcome = {
    index: 0,
    arrivalUs: 0,
    startUs: 100_000,
    firstTokenUs: 1_500_000,
    completionUs: 1_500_000 + 99 * 10_000,
    inputTokens: 1000,
    outputTokens: 100,
    cachedTokens: 0,
    kvTransferUs: 0,
    itlGapsUs: [
      [8_000, 50],
      [12_000, 49],
    ],
    preemptions: 0,
  }
  const cases: Array<[string, boolean]> = [
    ['ttft.p90<=2s', true],
    ['ttft.p90<=1s', false],
    ['ttft.p50<1500ms', false],
    ['tpot.p90<=10ms', true],
    ['tpot.p90<10ms', false],
    ['userSpeed.p10>=100', true],
    ['userSpeed.p10>=101', false],
    ['e2e.max<3s', true],
    ['e2e.p99<2s', false],
    ['queue.p50<=50ms', false],
    ['queue.p50<=100ms', true],
    ['itl.p99<=12ms', true],
    ['itl.p99<12ms', false],
    ['itl.p50>=8ms', true],
    ['itl.p50>8ms', false],
    ['kvTransfer.p90<=1ms', true],
    // Aggregate SLOs and counts are ignored per request.
    ['throughput.outputTokensPerS>1000000000', true],
    ['goodput.ratio>=1', true],
    ['failed.ratio==1', true],
    ['ttft.count>5', true],
  ]
  test.each(cases)('%s -> %s', (expression, expected) => {
    expect(requestMeetsSlos(outcome, [parseSlo(expression)])).toBe(expected)
  })

  test('every SLO must hold', () => {
    expect(requestMeetsSlos(outcome, [parseSlo('ttft.p90<=2s'), parseSlo('tpot.p90<=10ms')])).toBe(true)
    expect(requestMeetsSlos(outcome, [parseSlo('ttft.p90<=2s'), parseSlo('tpot.p90<=9ms')])).toBe(false)
    expect(requestMeetsSlos(outcome, [])).toBe(true)
  })

  test('TPOT and userSpeed SLOs do not apply to a one-token request', () => {
    const single: RequestOutcome = {...outcome, outputTokens: 1, completionUs: outcome.firstTokenUs, itlGapsUs: []}
    expect(requestMeetsSlos(single, [parseSlo('tpot.p90<=1us'), parseSlo('userSpeed.p10>=100000'), parseSlo('itl.p99<1us')])).toBe(true)
    expect(requestMeetsSlos(single, [parseSlo('ttft.p90<=1s')])).toBe(false)
  })
})
