import {loadCatalog, type Catalog} from '../catalogs/load-catalog.js'
import {listPools, maxPoolReplicas, type BackendConfig} from '../backends/backend-config.js'
import {loadBackendConfig} from '../backends/load-backend.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {TracebenchError} from '../common/errors.js'
import type {Footprint} from '../metrics/results-file.js'
import {formatFootprint, formatFootprintTarget, readFootprintUnit, type FootprintTarget} from './footprint-target.js'

/**
 * Scales a backend's pools so that it occupies (at most) a given footprint. Replica
 * counts are whole, so the match is the largest configuration whose footprint does not
 * exceed the target, keeping the ratio of the pools (prefill:decode for a disaggregated
 * backend) as close as rounding allows. The footprint reached is reported, and capacity
 * per footprint unit is normalised by it, not by the target.
 *
 * Racks are the `racks` the backend reports (whole racks per pool, summed), the same
 * number that appears in results files and in per-rack figures.
 */
export interface FootprintMatch {
  target: FootprintTarget
  /** Replicas per pool to pass to the replay (`{pool: 6}` or `{prefill: 3, decode: 4}`). */
  poolReplicas: Record<string, number>
  /** The footprint of the scaled backend. */
  footprint: Footprint
  /** The preset's own replicas and footprint, for the record. */
  baseReplicas: Record<string, number>
  baseFootprint: Footprint
}

export interface MatchFootprintOptions {
  model?: string
  catalog?: Catalog
}

export function matchFootprint(backend: string | BackendConfig, target: FootprintTarget, options: MatchFootprintOptions = {}): FootprintMatch {
  const config = typeof backend === 'string' ? loadBackendConfig(backend) : backend
  const catalog = options.catalog ?? loadCatalog()
  const base = Object.fromEntries(listPools(config).map(([name, pool]) => [name, pool.replicas]))
  const replicasAt = (factor: number): Record<string, number> =>
    Object.fromEntries(Object.entries(base).map(([name, r]) => [name, Math.max(1, Math.round(r * factor))]))
  const footprintOf = (poolReplicas: Record<string, number>): Footprint =>
    toResultsFootprint(resolveBackend(config, catalog, {model: options.model, poolReplicas}).footprint)
  const withinTarget = (poolReplicas: Record<string, number>) => readFootprintUnit(footprintOf(poolReplicas), target.unit) <= target.value * (1 + 1e-9)
  const overCap = (poolReplicas: Record<string, number>) => Math.max(...Object.values(poolReplicas)) > maxPoolReplicas
  const fits = (poolReplicas: Record<string, number>) => !overCap(poolReplicas) && withinTarget(poolReplicas)

  const smallest = replicasAt(0)
  if (!fits(smallest)) {
    const minimum = footprintOf(smallest)
    throw new TracebenchError(
      `backend ${config.name} does not fit in --footprint ${formatFootprintTarget(target)}: with one replica per pool it already needs ${formatFootprint(minimum)}`,
      {code: 'FOOTPRINT_TOO_SMALL', suggestions: [`use a footprint of at least ${target.unit}=${readFootprintUnit(minimum, target.unit)}`]},
    )
  }
  // The footprint only grows with the factor (replicas are rounded, never fewer), so the
  // largest fitting factor is found by doubling then bisection; then the replica counts.
  let lo = 0
  let hi = 1
  while (fits(replicasAt(hi))) {
    lo = hi
    hi *= 2
  }
  for (let i = 0; i < 60 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2
    if (fits(replicasAt(mid))) lo = mid
    else hi = mid
  }
  // Stopped by the replica limit rather than by the footprint: the target is out of reach.
  const above = replicasAt(hi)
  if (overCap(above) && withinTarget(Object.fromEntries(Object.entries(above).map(([name, r]) => [name, Math.min(r, maxPoolReplicas)])))) {
    throw new TracebenchError(
      `--footprint ${formatFootprintTarget(target)} is too large for backend ${config.name}: it needs more than ${maxPoolReplicas.toLocaleString('en-US')} replicas of a pool, the most tracebench simulates`,
      {code: 'FOOTPRINT_TOO_LARGE'},
    )
  }
  const poolReplicas = replicasAt(lo)
  return {target, poolReplicas, footprint: footprintOf(poolReplicas), baseReplicas: base, baseFootprint: footprintOf(base)}
}

function toResultsFootprint(footprint: {systems: number; chips: number; racks: number; kW: number; usdPerHour: number | null}): Footprint {
  return {systems: footprint.systems, chips: footprint.chips, racks: footprint.racks, kW: footprint.kW, usdPerHour: footprint.usdPerHour}
}
