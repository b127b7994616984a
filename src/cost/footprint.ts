import {loadCatalog, type Catalog} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'

/** What a deployment occupies, for comparing architectures "in the same footprint". */
export interface Footprint {
  /** Servers for GPUs and Trainium, CS-3 systems for cs3. */
  systems: number
  chips: number
  /** Whole racks needed (ceil of systems / systems per rack). */
  racks: number
  /** Exact rack share, for normalising capacity per rack. */
  rackFraction: number
  kW: number
  /** On-demand or reserved price where the catalog has one, else null. */
  usdPerHour: number | null
}

/**
 * Systems = ceil(chips / chips per server); racks from servers per rack; power =
 * chips x chip power + systems x per-server overhead (CPUs, switches, NICs), all from the
 * hardware entry's sourced `footprint` data.
 */
export function computeFootprint(hardwareName: string, chips: number, catalog: Catalog = loadCatalog()): Footprint {
  if (!Number.isInteger(chips) || chips < 0) throw new TracebenchError(`chips must be a non-negative integer, got ${chips}`)
  const hardware = catalog.hardware(hardwareName)
  const {chipsPerServer, serversPerRack, chipPowerW, serverOverheadW, usdPerServerHour} = hardware.footprint
  const systems = Math.ceil(chips / chipsPerServer.value)
  const rackFraction = systems / serversPerRack.value
  return {
    systems,
    chips,
    racks: Math.ceil(rackFraction),
    rackFraction,
    kW: (chips * chipPowerW.value + systems * serverOverheadW.value) / 1000,
    usdPerHour: usdPerServerHour === undefined ? null : systems * usdPerServerHour.value,
  }
}

/** Adds footprints of the pools of one deployment (e.g. a Trainium prefill pool and a CS-3 decode pool). */
export function addFootprints(parts: Footprint[]): Footprint {
  return parts.reduce<Footprint>(
    (sum, part) => ({
      systems: sum.systems + part.systems,
      chips: sum.chips + part.chips,
      racks: sum.racks + part.racks,
      rackFraction: sum.rackFraction + part.rackFraction,
      kW: sum.kW + part.kW,
      usdPerHour: sum.usdPerHour === null || part.usdPerHour === null ? null : sum.usdPerHour + part.usdPerHour,
    }),
    {systems: 0, chips: 0, racks: 0, rackFraction: 0, kW: 0, usdPerHour: 0},
  )
}
