import type {Catalog} from '../catalogs/load-catalog.js'
import {alignColumns} from '../common/text-table.js'
import type {Footprint} from '../cost/footprint.js'
import type {BackendKind} from './backend-config.js'
import {listPresetNames, loadBackendConfig} from './load-backend.js'
import {resolveBackend} from './resolve-backend.js'

export interface BackendPoolSummary {
  name: string
  hardware: string
  /** Wafer-scale hardware (CS-3): replicas are pipelines of whole systems, not TP groups. */
  wafer: boolean
  precision: string
  tp: number
  pp: number
  systemsPerReplica: number
  chipsPerReplica: number
  replicas: number
  chips: number
  kvCapacityTokensPerReplica: number
  policy: string
}

/** One row of `tracebench backends list` (its --json items). */
export interface BackendListing {
  name: string
  kind: BackendKind
  description: string
  model: string
  pools: BackendPoolSummary[]
  footprint: Footprint
}

/** Describes backends (presets by default, or the given names/files) with their resolved pools and footprints. */
export function listBackends(catalog: Catalog, specs: readonly string[] = listPresetNames(), model?: string): BackendListing[] {
  return specs.map((spec) => {
    const resolved = resolveBackend(loadBackendConfig(spec), catalog, {model})
    return {
      name: resolved.config.name,
      kind: resolved.config.kind,
      description: resolved.config.description,
      model: resolved.model,
      pools: resolved.pools.map((pool) => ({
        name: pool.name,
        hardware: pool.config.hardware,
        wafer: catalog.hardware(pool.config.hardware).kind === 'wafer',
        precision: pool.cost.deployment.precision,
        tp: pool.cost.deployment.tp,
        pp: pool.cost.deployment.pp,
        systemsPerReplica: pool.cost.deployment.systems,
        chipsPerReplica: pool.cost.chipsPerReplica,
        replicas: pool.config.replicas,
        chips: pool.chips,
        kvCapacityTokensPerReplica: pool.cost.kvCapacityTokens,
        policy: pool.config.scheduler.policy,
      })),
      footprint: resolved.footprint,
    }
  })
}

/** The human table: one line per backend, its pools indented below. */
export function formatBackendsTable(backends: readonly BackendListing[]): string {
  const rows: string[][] = [['backend', 'kind', 'model', 'systems', 'chips', 'racks', 'kW', '$/h']]
  for (const b of backends) {
    const f = b.footprint
    rows.push([b.name, b.kind, b.model, String(f.systems), String(f.chips), `${f.racks} (${f.rackFraction.toFixed(2)})`, f.kW.toFixed(1), f.usdPerHour === null ? '-' : f.usdPerHour.toFixed(0)])
    for (const p of b.pools) {
      const parallel = p.wafer ? `${p.systemsPerReplica} system${p.systemsPerReplica === 1 ? '' : 's'} per replica` : `tp${p.tp}${p.pp > 1 ? ` pp${p.pp}` : ''}`
      rows.push([`  ${p.name}`, `${p.replicas} x ${p.hardware}`, `${p.precision}, ${parallel}, ${p.policy}`, '', String(p.chips), '', '', ''])
    }
  }
  const lines = alignColumns(rows, [1, 2])
  const descriptions = backends.map((b) => `${b.name}: ${b.description}`)
  return [...lines, '', ...descriptions].join('\n')
}
