import {describe, expect, it} from 'vitest'
import {addFootprints, computeFootprint} from '../../src/cost/footprint.js'

describe('computeFootprint', () => {
  it('counts H100 servers, racks, power and price from the catalog', () => {
    expect(computeFootprint('h100-sxm', 16)).toEqual({systems: 2, chips: 16, racks: 1, rackFraction: 0.5, kW: 16 * 0.7 + 2 * 4.6, usdPerHour: 2 * 39.33})
  })

  it('counts CS-3 systems at 23 kW, two per rack (hardware.md §9.1)', () => {
    const footprint = computeFootprint('cs3', 5)
    expect(footprint.systems).toBe(5)
    expect(footprint.racks).toBe(3)
    expect(footprint.rackFraction).toBe(2.5)
    expect(footprint.kW).toBe(115)
    expect(footprint.usdPerHour).toBeCloseTo(5 * 41.96, 8)
  })

  it('puts 72 GB200 GPUs in one NVL72 rack at about 120 kW', () => {
    const footprint = computeFootprint('gb200', 72)
    expect(footprint.systems).toBe(18)
    expect(footprint.racks).toBe(1)
    expect(footprint.kW).toBeGreaterThan(115)
    expect(footprint.kW).toBeLessThan(125)
    expect(footprint.usdPerHour).toBeNull()
  })

  it('rounds partial servers up and adds pools', () => {
    const trn3 = computeFootprint('trn3', 6)
    expect(trn3.systems).toBe(2)
    const total = addFootprints([trn3, computeFootprint('cs3', 1)])
    expect(total.chips).toBe(7)
    expect(total.systems).toBe(3)
    expect(total.usdPerHour).toBeNull()
  })

  it('rejects an unknown hardware name and a bad chip count', () => {
    expect(() => computeFootprint('tpu-v5', 8)).toThrow(/unknown hardware "tpu-v5"; valid hardware names: b200/)
    expect(() => computeFootprint('cs3', 1.5)).toThrow(/chips must be a non-negative integer/)
  })
})
