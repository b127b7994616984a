import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {defaultSearchSettings, planNextRound, roundScale, runBracketSearch, type SearchSettings} from '../../src/parallel/bracket-search.js'

/** A monotone predicate: the SLOs hold up to `capacity`. */
function thresholdAt(capacity: number) {
  const calls: number[][] = []
  const evaluate = async (scales: number[]) => {
    calls.push(scales)
    return scales.map((s) => ({passed: s <= capacity, value: s}))
  }
  return {calls, evaluate}
}

const settings = (overrides: Partial<SearchSettings> = {}): SearchSettings => ({...defaultSearchSettings, ...overrides})

describe('runBracketSearch', () => {
  test.each([0.003, 0.37, 1, 2.9, 17.5, 600])('finds a capacity of %s within the precision, with a failing point just above', async (capacity) => {
    const {evaluate} = thresholdAt(capacity)
    const outcome = await runBracketSearch(settings(), evaluate)
    expect(outcome.status).toBe('found')
    const lo = outcome.lastPassing!.scale
    const hi = outcome.firstFailing!.scale
    expect(lo).toBeLessThanOrEqual(capacity)
    expect(hi).toBeGreaterThan(capacity)
    expect(hi / lo - 1).toBeLessThanOrEqual(0.02)
    expect(outcome.achievedPrecision).toBeCloseTo(hi / lo - 1, 12)
    expect(outcome.nonMonotone).toBe(false)
  })

  test('each round evaluates at most pointsPerRound new scales, never one twice', async () => {
    const {calls, evaluate} = thresholdAt(3.3)
    const outcome = await runBracketSearch(settings({pointsPerRound: 3}), evaluate)
    for (const round of calls) expect(round.length).toBeLessThanOrEqual(3)
    const all = calls.flat()
    expect(new Set(all).size).toBe(all.length)
    expect(outcome.rounds).toBe(calls.length)
    expect(outcome.evaluations.map((e) => e.scale)).toEqual(all)
  })

  test('the evaluated points depend only on earlier outcomes (same plan whatever the evaluation order)', async () => {
    const a = thresholdAt(5.1)
    const b = thresholdAt(5.1)
    // b resolves the points of a round in reverse completion order: the plan must not care.
    const reversed = async (scales: number[], round: number) => {
      const out = await b.evaluate([...scales].reverse(), round)
      return out.reverse()
    }
    await runBracketSearch(settings(), a.evaluate)
    await runBracketSearch(settings(), reversed)
    expect(b.calls.map((c) => [...c].reverse())).toEqual(a.calls)
  })

  test('reports not reachable (no passing point, no number) when the SLOs fail at the lowest scale', async () => {
    const {evaluate} = thresholdAt(0.0001)
    const outcome = await runBracketSearch(settings({minScale: 0.01}), evaluate)
    expect(outcome.status).toBe('not-reachable')
    expect(outcome.lastPassing).toBeNull()
    expect(outcome.firstFailing!.scale).toBe(0.01)
    expect(outcome.achievedPrecision).toBeNull()
  })

  test('reports a lower bound when the SLOs still hold at the highest scale', async () => {
    const {evaluate} = thresholdAt(1e9)
    const outcome = await runBracketSearch(settings({maxScale: 50}), evaluate)
    expect(outcome.status).toBe('lower-bound')
    expect(outcome.lastPassing!.scale).toBe(50)
    expect(outcome.firstFailing).toBeNull()
  })

  test('flags a non-monotone predicate and keeps the bracket below the lowest failure', async () => {
    // Fails in a band around 2 (hit by the first ladder: 0.5, 1, 2, 4) but passes again at 4.
    const evaluate = async (scales: number[]) => scales.map((s) => ({passed: s < 1.8 || (s > 2.2 && s < 5), value: s}))
    const outcome = await runBracketSearch(settings(), evaluate)
    expect(outcome.status).toBe('found')
    expect(outcome.firstFailing!.scale).toBeGreaterThanOrEqual(1.8)
    expect(outcome.firstFailing!.scale).toBeLessThanOrEqual(2)
    expect(outcome.lastPassing!.scale).toBeLessThan(1.8)
    expect(outcome.firstFailing!.scale / outcome.lastPassing!.scale - 1).toBeLessThanOrEqual(0.02)
    expect(outcome.nonMonotone).toBe(true)
  })

  test('one point per round is plain bisection', async () => {
    const {calls, evaluate} = thresholdAt(2.5)
    const outcome = await runBracketSearch(settings({pointsPerRound: 1}), evaluate)
    expect(outcome.status).toBe('found')
    for (const round of calls) expect(round).toHaveLength(1)
  })

  test('rejects settings that make no sense', async () => {
    const {evaluate} = thresholdAt(1)
    await expect(runBracketSearch(settings({precision: 0}), evaluate)).rejects.toThrow(/precision must be above 0/)
    await expect(runBracketSearch(settings({minScale: 4, maxScale: 2, startScale: 3}), evaluate)).rejects.toThrow(TracebenchError)
    await expect(runBracketSearch(settings({pointsPerRound: 0}), evaluate)).rejects.toThrow(/points per round/)
  })
})

describe('planNextRound', () => {
  test('the first round is a ladder around the start scale', () => {
    expect(planNextRound([], settings())).toEqual([0.5, 1, 2, 4])
    expect(planNextRound([], settings({startScale: 3, pointsPerRound: 3}))).toEqual([1.5, 3, 6])
  })

  test('scales are rounded to six significant digits', () => {
    expect(roundScale(1 / 3)).toBe(0.333333)
  })
})
