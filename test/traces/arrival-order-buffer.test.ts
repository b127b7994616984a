import {describe, expect, test} from 'vitest'
import {ArrivalOrderBuffer} from '../../src/traces/arrival-order-buffer.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'

const at = (arrivalUs: number, inputTokens = 0): TraceRecord => ({arrivalUs, inputTokens, outputTokens: 1})

describe('ArrivalOrderBuffer', () => {
  test('holds back the window, sorts late rows stably and shifts times to start at 0', () => {
    const buffer = new ArrivalOrderBuffer(2)
    expect(buffer.offer(at(100, 1))).toBe('in-order')
    expect(buffer.offer(at(300, 2))).toBe('in-order')
    expect(buffer.offer(at(200, 3))).toBe('reordered')
    expect(buffer.offer(at(200, 4))).toBe('reordered')
    const ready = buffer.takeReady()
    expect(ready.map((r) => [r.arrivalUs, r.inputTokens])).toEqual([
      [0, 1],
      [100, 3],
    ])
    expect(buffer.offer(at(150, 5))).toBe('too-late')
    expect(buffer.takeAll().map((r) => [r.arrivalUs, r.inputTokens])).toEqual([
      [100, 4],
      [200, 2],
    ])
  })

  test('equal times keep file order', () => {
    const buffer = new ArrivalOrderBuffer(0)
    for (let i = 0; i < 5; i++) buffer.offer(at(7, i))
    expect(buffer.takeAll().map((r) => r.inputTokens)).toEqual([0, 1, 2, 3, 4])
  })
})
