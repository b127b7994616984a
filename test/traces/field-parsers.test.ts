import {describe, expect, test} from 'vitest'
import {describeValue, formatRowError, parseDecimalSecondsToUs, parseNonNegativeInteger} from '../../src/traces/field-parsers.js'

describe('parseNonNegativeInteger', () => {
  test.each([
    ['0', 0],
    ['4808', 4808],
    ['007', 7],
    ['123456789012345', 123_456_789_012_345],
  ])('%s -> %d', (text, value) => {
    expect(parseNonNegativeInteger(text)).toBe(value)
  })

  test.each(['', '-3', '+3', ' 3', '3 ', '1e3', '0x10', '3.0', '12a', 'lots', '1234567890123456'])('rejects %j', (text) => {
    expect(parseNonNegativeInteger(text)).toBeNaN()
  })
})

describe('parseDecimalSecondsToUs', () => {
  test.each([
    ['5', 5_000_000],
    ['19440110.0', 19_440_110_000_000],
    ['0.1', 100_000],
    ['0.000001', 1],
    ['1.2345678', 1_234_567],
  ])('%s -> %d us', (text, value) => {
    expect(parseDecimalSecondsToUs(text)).toBe(value)
  })

  test.each(['', '.5', '5.', '-5', '1e3', 'x', '1.2.3'])('rejects %j', (text) => {
    expect(parseDecimalSecondsToUs(text)).toBeNaN()
  })
})

describe('messages', () => {
  test('formatRowError has the file:line: field: expected ..., got ... shape', () => {
    expect(formatRowError('a.csv', 41, 'ContextTokens', 'a non-negative integer', describeValue('-3'))).toBe(
      'a.csv:41: ContextTokens: expected a non-negative integer, got "-3"',
    )
  })

  test('describeValue shortens long values and names a missing one', () => {
    expect(describeValue('x'.repeat(200))).toHaveLength(60)
    expect(describeValue(undefined)).toBe('nothing')
    expect(describeValue(-1)).toBe('-1')
  })
})
