import {describe, expect, test} from 'vitest'
import {applyMeasuredRange, decideVerdict, findExcessiveFailures, formatQuantity, type SideFailures} from '../../src/claims/verdict.js'

describe('decideVerdict', () => {
  test('a target just below the measured ratio is supported, just above is not', () => {
    for (const measured of [0.37, 1, 4.72, 15.000001, 2157]) {
      const below = decideVerdict({measured, target: measured * (1 - 1e-9), unit: 'x'})
      const equal = decideVerdict({measured, target: measured, unit: 'x'})
      const above = decideVerdict({measured, target: measured * (1 + 1e-9), unit: 'x'})
      expect(below.verdict).toBe('supported')
      expect(equal.verdict).toBe('supported')
      expect(above.verdict).toBe('not-supported')
    }
  })

  test('tolerance relaxes the target by a fraction, both ways', () => {
    expect(decideVerdict({measured: 4.6, target: 5, tolerance: 0.1, unit: 'x'})).toMatchObject({verdict: 'supported', threshold: 4.5})
    expect(decideVerdict({measured: 4.4, target: 5, tolerance: 0.1, unit: 'x'}).verdict).toBe('not-supported')
    // "at most" claims (a latency value): target x (1 + tolerance).
    expect(decideVerdict({measured: 320, target: 300, tolerance: 0.1, direction: 'at-most', unit: 'ms'})).toMatchObject({verdict: 'supported', threshold: 330})
    expect(decideVerdict({measured: 340, target: 300, tolerance: 0.1, direction: 'at-most', unit: 'ms'}).verdict).toBe('not-supported')
    expect(decideVerdict({measured: 4.6, target: 5, tolerance: 0.1, unit: 'x'}).reason).toBe(
      'measured 4.6x, which meets 4.5x (the claimed 5x with 10% tolerance)',
    )
  })

  test('no number is inconclusive with the reason', () => {
    const outcome = decideVerdict({measured: null, target: 5, unit: 'x', missingReason: 'gpu-h100: llama-3.1-405b does not fit'})
    expect(outcome).toMatchObject({verdict: 'inconclusive', reason: 'gpu-h100: llama-3.1-405b does not fit'})
    expect(decideVerdict({measured: Number.NaN, target: 5, unit: 'x'}).verdict).toBe('inconclusive')
  })

  test('a bound decides only on its own side', () => {
    // A lower bound that already meets the target proves it; one below the target proves nothing.
    expect(decideVerdict({measured: 6, bound: 'at-least', target: 5, unit: 'x'}).verdict).toBe('supported')
    const weak = decideVerdict({measured: 4, bound: 'at-least', target: 5, unit: 'x'})
    expect(weak.verdict).toBe('inconclusive')
    expect(weak.reason).toContain('bracket limit')
    // An upper bound below the target refutes it; above, it proves nothing.
    expect(decideVerdict({measured: 4, bound: 'at-most', target: 5, unit: 'x'}).verdict).toBe('not-supported')
    expect(decideVerdict({measured: 6, bound: 'at-most', target: 5, unit: 'x'}).verdict).toBe('inconclusive')
    // Mirrored for "at most" claims.
    expect(decideVerdict({measured: 200, bound: 'at-most', target: 300, direction: 'at-most', unit: 'ms'}).verdict).toBe('supported')
    expect(decideVerdict({measured: 400, bound: 'at-least', target: 300, direction: 'at-most', unit: 'ms'}).verdict).toBe('not-supported')
    expect(decideVerdict({measured: 200, bound: 'at-least', target: 300, direction: 'at-most', unit: 'ms'}).verdict).toBe('inconclusive')
  })

  test('quantities are formatted with 3 significant digits and thousands separators', () => {
    expect(formatQuantity(4.7234, 'x')).toBe('4.72x')
    expect(formatQuantity(2298.4, 'tok/s')).toBe('2,298 tok/s')
    expect(formatQuantity(0.13749, '')).toBe('0.137')
  })
})

describe('the failure rule', () => {
  const side = (failed: number, requests = 250): SideFailures => ({label: 'trn3-cs3', requests, failed, reasons: failed > 0 ? {'exceeds-kv-capacity': failed} : {}})

  test('more than maxFailedRatio failed on a side: the reason names the side, its count, share and causes', () => {
    expect(findExcessiveFailures([side(161), {...side(0), label: 'gpu-h100'}], 0.01)).toBe(
      'trn3-cs3 failed 161 of 250 requests (64.4%; exceeds-kv-capacity: 161): more than the 1% of requests allowed to fail (maxFailedRatio), so the value describes a backend that cannot serve this workload, not the claim',
    )
    // Both sides over: both named.
    expect(findExcessiveFailures([side(229, 400), {...side(229, 400), label: 'cs3'}], 0.01)).toContain('trn3-cs3 failed 229 of 400 requests (57.25%; exceeds-kv-capacity: 229); cs3 failed 229')
  })

  test('exactly the limit passes, one request more does not; the limit is configurable', () => {
    expect(findExcessiveFailures([side(10, 1000)], 0.01)).toBeNull()
    expect(findExcessiveFailures([side(11, 1000)], 0.01)).not.toBeNull()
    expect(findExcessiveFailures([side(1, 1000)], 0)).not.toBeNull()
    expect(findExcessiveFailures([side(100, 1000)], 0.1)).toBeNull()
    expect(findExcessiveFailures([side(0, 0)], 0)).toBeNull()
  })
})

describe('the precision rule', () => {
  const supported = decideVerdict({measured: 5.01, target: 5, unit: 'x'})
  const notSupported = decideVerdict({measured: 4.8, target: 5, unit: 'x'})

  test('a range that straddles the threshold makes a decided verdict inconclusive, saying why', () => {
    const out = applyMeasuredRange(supported, {low: 4.78, high: 5.15, why: 'each capacity is known only to within its search precision'}, 'at-least', 'x')
    expect(out.verdict).toBe('inconclusive')
    expect(out.reason).toBe(
      'measured 5.01x, which meets the claimed 5x; but each capacity is known only to within its search precision, so the true value lies between 4.78x and 5.15x, on both sides of 5x: the measurement cannot tell',
    )
    expect(applyMeasuredRange(notSupported, {low: 4.6, high: 5.0, why: 'x'}, 'at-least', 'x').verdict).toBe('inconclusive')
  })

  test('a range wholly on one side keeps the verdict; no range or an inconclusive outcome is unchanged', () => {
    expect(applyMeasuredRange(supported, {low: 5, high: 5.2, why: 'x'}, 'at-least', 'x')).toEqual(supported)
    expect(applyMeasuredRange(notSupported, {low: 4.6, high: 4.99, why: 'x'}, 'at-least', 'x')).toEqual(notSupported)
    expect(applyMeasuredRange(supported, null, 'at-least', 'x')).toEqual(supported)
    const none = decideVerdict({measured: null, target: 5, unit: 'x', missingReason: 'no data'})
    expect(applyMeasuredRange(none, {low: 1, high: 9, why: 'x'}, 'at-least', 'x')).toEqual(none)
    // "At most" claims: the range must lie wholly at or under the threshold.
    const latency = decideVerdict({measured: 290, target: 300, direction: 'at-most', unit: 'ms'})
    expect(applyMeasuredRange(latency, {low: 290, high: 310, why: 'x'}, 'at-most', 'ms').verdict).toBe('inconclusive')
    expect(applyMeasuredRange(latency, {low: 290, high: 300, why: 'x'}, 'at-most', 'ms').verdict).toBe('supported')
  })
})
