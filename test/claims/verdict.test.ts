import {describe, expect, test} from 'vitest'
import {decideVerdict, formatQuantity} from '../../src/claims/verdict.js'

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
