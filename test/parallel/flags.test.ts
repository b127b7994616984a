import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {parseFootprintTarget} from '../../src/parallel/footprint-target.js'
import {parsePrecision} from '../../src/parallel/parse-flags.js'
import {chooseProgressMode} from '../../src/parallel/progress-reporter.js'
import {parseRateScales} from '../../src/parallel/rate-scales.js'
import {isInShard, parseShard, selectShard} from '../../src/parallel/shard.js'

describe('parseShard', () => {
  test('reads 0-based INDEX/COUNT', () => {
    expect(parseShard('0/3')).toEqual({index: 0, count: 3})
    expect(parseShard(' 2 / 3 ')).toEqual({index: 2, count: 3})
  })

  test.each([
    ['3/3', /the shard index must be between 0 and 2 \(indices start at 0\)/],
    ['1/0', /the shard count must be at least 1/],
    ['a/3', /expected INDEX\/COUNT with whole numbers, e\.g\. 0\/3/],
    ['-1/3', /expected INDEX\/COUNT/],
    ['1', /expected INDEX\/COUNT/],
  ])('refuses %s', (text, message) => {
    expect(() => parseShard(text)).toThrow(TracebenchError)
    expect(() => parseShard(text)).toThrow(message)
  })

  test('point k goes to shard k mod n, and the shards cover every point once', () => {
    const items = Array.from({length: 10}, (_, i) => i)
    const parts = [0, 1, 2].map((index) => selectShard(items, {index, count: 3}).map((s) => s.index))
    expect(parts[1]).toEqual([1, 4, 7])
    expect(parts.flat().sort((a, b) => a - b)).toEqual(items)
    expect(isInShard(5, null)).toBe(true)
  })
})

describe('parseRateScales', () => {
  test('accepts comma-separated lists and repeated flags, keeping the order', () => {
    expect(parseRateScales(['0.25,0.5, 1', '4', '2'])).toEqual([0.25, 0.5, 1, 4, 2])
  })
  test.each([
    [['0.5,abc'], /"abc" is not a positive number; expected positive numbers separated by commas/],
    [['0'], /"0" is not a positive number/],
    [['1,,2'], /"" is not a positive number/],
    [['1,2,1'], /1 is given twice/],
  ])('refuses %j', (values, message) => {
    expect(() => parseRateScales(values)).toThrow(message)
  })
})

describe('parseFootprintTarget', () => {
  test.each([
    ['racks=4', {unit: 'racks', value: 4}],
    ['rack=2', {unit: 'racks', value: 2}],
    ['kw=120.5', {unit: 'kW', value: 120.5}],
    ['kW=100', {unit: 'kW', value: 100}],
    ['systems=8', {unit: 'systems', value: 8}],
    ['chips=64', {unit: 'chips', value: 64}],
  ])('reads %s', (text, expected) => {
    expect(parseFootprintTarget(text)).toEqual(expected)
  })
  test.each([
    ['racks', /expected UNIT=NUMBER/],
    ['floors=3', /unknown unit "floors"/],
    ['racks=-1', /"-1" is not a positive number/],
  ])('refuses %s', (text, message) => {
    expect(() => parseFootprintTarget(text)).toThrow(message)
  })
})

describe('parsePrecision', () => {
  test('takes a fraction or a percentage', () => {
    expect(parsePrecision('2%')).toBeCloseTo(0.02, 12)
    expect(parsePrecision('0.05')).toBe(0.05)
  })
  test.each(['0', '150%', 'fast', ''])('refuses %j', (text) => {
    expect(() => parsePrecision(text)).toThrow(/invalid --precision/)
  })
})

describe('chooseProgressMode', () => {
  const tty = {isTTY: true} as NodeJS.WriteStream
  const pipe = {isTTY: false} as NodeJS.WriteStream
  test('draws a bar only on an interactive terminal outside CI and --json', () => {
    expect(chooseProgressMode({json: false, stream: tty, env: {}})).toBe('bar')
    expect(chooseProgressMode({json: true, stream: tty, env: {}})).toBe('lines')
    expect(chooseProgressMode({json: false, stream: tty, env: {CI: 'true'}})).toBe('lines')
    expect(chooseProgressMode({json: false, stream: tty, env: {CI: 'false'}})).toBe('bar')
    expect(chooseProgressMode({json: false, stream: pipe, env: {}})).toBe('lines')
  })
})
