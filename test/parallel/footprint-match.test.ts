import {describe, expect, test} from 'vitest'
import {loadBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {matchFootprint} from '../../src/parallel/footprint-match.js'
import type {FootprintTarget} from '../../src/parallel/footprint-target.js'

const catalog = loadCatalog()

describe('matchFootprint', () => {
  test.each([
    ['cs3', {unit: 'racks', value: 8}],
    ['cs3', {unit: 'kW', value: 500}],
    ['gpu-h100', {unit: 'racks', value: 8}],
    ['gpu-h100', {unit: 'chips', value: 100}],
    ['trn3-cs3', {unit: 'racks', value: 12}],
    ['trn3-cs3', {unit: 'kW', value: 400}],
    ['trn3-cs3', {unit: 'systems', value: 30}],
  ] as Array<[string, FootprintTarget]>)('%s in %j: fits, and one more replica in every pool would not', (backend, target) => {
    const match = matchFootprint(backend, target, {catalog})
    expect(match.footprint[target.unit]).toBeLessThanOrEqual(target.value)
    const bigger = Object.fromEntries(Object.entries(match.poolReplicas).map(([pool, n]) => [pool, n + 1]))
    const footprint = resolveBackend(loadBackendConfig(backend), catalog, {poolReplicas: bigger}).footprint
    expect(footprint[target.unit]).toBeGreaterThan(target.value)
    // The footprint reported is the one the replay will have.
    expect(resolveBackend(loadBackendConfig(backend), catalog, {poolReplicas: match.poolReplicas}).footprint).toEqual(expect.objectContaining(match.footprint))
  })

  test('keeps the prefill:decode ratio of a disaggregated backend as far as rounding allows', () => {
    const base = loadBackendConfig('trn3-cs3')
    if (base.kind !== 'disaggregated') throw new Error('expected a disaggregated preset')
    const match = matchFootprint('trn3-cs3', {unit: 'kW', value: 182 * 3}, {catalog})
    const ratio = base.prefill.replicas / base.decode.replicas
    const matched = (match.poolReplicas.prefill as number) / (match.poolReplicas.decode as number)
    expect(Math.abs(matched - ratio) / ratio).toBeLessThan(0.1)
    expect(match.poolReplicas.decode).toBe(3)
  })

  test('refuses a footprint smaller than one replica per pool, saying what one replica needs', () => {
    expect(() => matchFootprint('cs3', {unit: 'racks', value: 1}, {catalog})).toThrow(
      /backend cs3 does not fit in --footprint racks=1: with one replica per pool it already needs 4 systems, 4 chips, 2 racks, 92 kW/,
    )
  })
})
