import {describe, expect, test} from 'vitest'
import {estimateReplaySeconds, threadsPay} from '../../src/parallel/work-estimate.js'
import {statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const chatTrace = fileURLToPath(new URL('../../traces/chat.jsonl', import.meta.url))

describe('work estimate', () => {
  test('a synthesized trace costs in proportion to its requests, cut by --limit', () => {
    const small = estimateReplaySeconds({trace: 'synth:coding?requests=1000', backend: 'cs3'})
    const big = estimateReplaySeconds({trace: 'synth:coding?requests=300000', backend: 'cs3'})
    expect(big).toBeGreaterThan(0.5)
    expect(small).toBeLessThan(0.01)
    expect(estimateReplaySeconds({trace: 'synth:coding?requests=300000', backend: 'cs3', limit: 1000})).toBeCloseTo(small, 6)
    // No `requests`: the default 1,000.
    expect(estimateReplaySeconds({trace: 'synth:coding', backend: 'cs3'})).toBeCloseTo(small, 6)
  })

  test('a trace file costs in proportion to its size; an unreadable one costs next to nothing', () => {
    const bytes = statSync(chatTrace).size
    const seconds = estimateReplaySeconds({trace: chatTrace, backend: 'cs3'})
    expect(seconds).toBeGreaterThan(bytes * 20e-9)
    expect(seconds).toBeLessThan(0.01 + bytes * 80e-9)
    expect(estimateReplaySeconds({trace: '/nonexistent/trace.csv', backend: 'cs3'})).toBeLessThan(0.01)
  })

  test('threads pay for two or more jobs with enough work beyond the largest', () => {
    expect(threadsPay([])).toBe(false)
    expect(threadsPay([30])).toBe(false)
    expect(threadsPay([0.2, 0.2, 0.2])).toBe(false)
    expect(threadsPay([5, 0.1])).toBe(false)
    expect(threadsPay(new Array(18).fill(0.8))).toBe(true)
    expect(threadsPay([1, 1])).toBe(true)
  })
})
