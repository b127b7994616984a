import {describe, expect, test} from 'vitest'
import {daysFromCivil, parseAzureTimestampUs} from '../../src/traces/azure-timestamp.js'

const us = (iso: string, extraUs = 0): number => Date.parse(iso) * 1000 + extraUs

describe('parseAzureTimestampUs', () => {
  test('2023 form: 7 fractional digits, no zone, read as UTC', () => {
    expect(parseAzureTimestampUs('2023-11-16 18:17:03.9799600')).toBe(us('2023-11-16T18:17:03.979Z', 960))
  })

  test('keeps sub-millisecond digits that Date would drop', () => {
    const a = parseAzureTimestampUs('2023-11-16 18:17:03.9799600')
    const b = parseAzureTimestampUs('2023-11-16 18:17:03.9802350')
    expect(b - a).toBe(275)
    // Date keeps only milliseconds: both fall in .979 / .980 and the 275 us gap is lost.
    expect(Date.parse('2023-11-16T18:17:03.9802350Z') - Date.parse('2023-11-16T18:17:03.9799600Z')).toBe(1)
  })

  test('truncates digits beyond the microsecond', () => {
    expect(parseAzureTimestampUs('2023-11-16 18:17:03.9799609')).toBe(parseAzureTimestampUs('2023-11-16 18:17:03.9799600'))
    expect(parseAzureTimestampUs('2023-11-16 18:17:03.123456789')).toBe(us('2023-11-16T18:17:03.123Z', 456))
  })

  test('2024 form: +00:00 with 6 digits, or with the fraction omitted when zero', () => {
    expect(parseAzureTimestampUs('2024-05-10 00:00:00.009930+00:00')).toBe(us('2024-05-10T00:00:00.009Z', 930))
    expect(parseAzureTimestampUs('2024-05-12 00:00:00+00:00')).toBe(us('2024-05-12T00:00:00Z'))
  })

  test('zone offsets and Z, and the ISO T separator', () => {
    expect(parseAzureTimestampUs('2024-05-10 02:30:00+02:30')).toBe(us('2024-05-10T00:00:00Z'))
    expect(parseAzureTimestampUs('2024-05-09 19:00:00-05:00')).toBe(us('2024-05-10T00:00:00Z'))
    expect(parseAzureTimestampUs('2024-10-15T12:00:00.269Z')).toBe(us('2024-10-15T12:00:00.269Z'))
  })

  test('does not depend on the local time zone (never goes through Date)', () => {
    const before = process.env.TZ
    process.env.TZ = 'America/New_York'
    try {
      expect(parseAzureTimestampUs('2023-11-16 18:17:03.0000000')).toBe(us('2023-11-16T18:17:03Z'))
    } finally {
      if (before === undefined) delete process.env.TZ
      else process.env.TZ = before
    }
  })

  test('leap days and month lengths', () => {
    expect(parseAzureTimestampUs('2024-02-29 00:00:00')).toBe(us('2024-02-29T00:00:00Z'))
    expect(parseAzureTimestampUs('2023-02-29 00:00:00')).toBeNaN()
    expect(parseAzureTimestampUs('2000-02-29 00:00:00')).toBe(us('2000-02-29T00:00:00Z'))
    expect(parseAzureTimestampUs('1900-02-29 00:00:00')).toBeNaN()
    expect(parseAzureTimestampUs('2023-04-31 00:00:00')).toBeNaN()
  })

  test.each([
    '',
    '2023-11-16',
    '2023-11-16 18:17',
    '2023/11/16 18:17:03',
    '2023-13-16 18:17:03',
    '2023-11-00 18:17:03',
    '2023-11-16 24:00:00',
    '2023-11-16 18:60:03',
    '2023-11-16 18:17:60',
    '2023-11-16 18:17:03.',
    '2023-11-16 18:17:03.1234567890',
    '2023-11-16 18:17:03.5 ',
    '2023-11-16 18:17:03+0000',
    '2023-11-16 18:17:03+24:00',
    '2023-11-16 18:17:03ZZ',
    '2O23-11-16 18:17:03',
    '1700000000',
  ])('rejects %j', (text) => {
    expect(parseAzureTimestampUs(text)).toBeNaN()
  })

  test('daysFromCivil matches Date.UTC over several centuries', () => {
    for (const [y, m, d] of [
      [1970, 1, 1],
      [1969, 12, 31],
      [2000, 3, 1],
      [2023, 11, 16],
      [2100, 2, 28],
      [1600, 1, 1],
    ] as const) {
      expect(daysFromCivil(y, m, d)).toBe(Date.UTC(y, m - 1, d) / 86_400_000)
    }
  })
})
