import type {Catalog, HardwareSpec} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {createCostModel} from '../cost/cost-model.js'
import {addFootprints, computeFootprint, type Footprint} from '../cost/footprint.js'
import {effectiveBandwidthBytesPerS, fixedTransferUs} from '../cost/kv-transfer.js'
import {precisions, type CostModel, type Precision} from '../cost/types.js'
import {listPools, maxPoolReplicas, type BackendConfig, type HardwareOverrides, type PoolConfig} from './backend-config.js'
import {describeDecodeSpeedUncertainty, type DecodeSpeedUncertainty} from '../cost/wafer-uncertainty.js'
import {applyEngineBehaviour} from './engine-behaviour.js'
import type {KvPathSpec} from './disaggregated.js'

/** Changes applied to a preset before it runs (the model flag, footprint scaling). */
export interface BackendOverrides {
  /** Model for every pool (catalog name or alias); default: the preset's. */
  model?: string
  /** Multiply every pool's replicas (a number) or named pools' replicas (`{prefill: 2}`); rounded, at least 1. */
  poolScale?: number | Record<string, number>
  /** Set named pools' replicas exactly (`{decode: 3}`); applied after poolScale. */
  poolReplicas?: Record<string, number>
}

export interface ResolvedPool {
  name: string
  config: PoolConfig
  cost: CostModel
  /** Chips (CS-3 systems count as chips) of the whole pool. */
  chips: number
  footprint: Footprint
  /** Wafer hardware: whether its decode speed is calibrated for the model, and the range when not (null elsewhere). */
  decodeSpeed: DecodeSpeedUncertainty | null
}

/** A backend configuration with overrides applied, cost models built and footprint counted. */
export interface ResolvedBackend {
  config: BackendConfig
  model: string
  pools: ResolvedPool[]
  footprint: Footprint
  /** Disaggregated backends: the KV path between the pools. */
  kvPath: KvPathSpec | null
}

/**
 * Applies overrides, builds each pool's cost model (which refuses a model that does not
 * fit, saying how much memory is missing) and adds up the footprint of the pools.
 */
export function resolveBackend(base: BackendConfig, catalog: Catalog, overrides: BackendOverrides = {}): ResolvedBackend {
  const config = applyOverrides(base, catalog, overrides)
  const pools = listPools(config).map(([name, pool]): ResolvedPool => {
    let cost: CostModel
    const poolCatalog = withHardwareOverrides(catalog, pool.hardware, pool.hardwareOverrides)
    try {
      cost = createCostModel({hardware: pool.hardware, model: config.model, precision: pool.precision, tp: pool.tp, pp: pool.pp, systems: pool.systems}, poolCatalog)
    } catch (error) {
      if (error instanceof TracebenchError) {
        throw new TracebenchError(`backend ${config.name}, ${name} pool: ${error.message}`, {
          code: error.code,
          exitCode: error.exitCode,
          // The cost model phrases its hints as `predict` flags; here they are pool fields.
          suggestions: error.suggestions.map((hint) =>
            /--(tp|pp|precision|systems) /.test(hint) ? `${hint.replace(/--(tp|pp|precision|systems) (\S+)/g, '$1: $2')} (under "${name}:" in a backend file)` : hint,
          ),
        })
      }
      throw error
    }
    const chips = cost.chipsPerReplica * pool.replicas
    const decodeSpeed = describeDecodeSpeedUncertainty(poolCatalog, poolCatalog.hardware(pool.hardware), poolCatalog.model(config.model))
    return {name, config: pool, cost: applyEngineBehaviour(cost, pool.scheduler), decodeSpeed, chips, footprint: computeFootprint(pool.hardware, chips, catalog)}
  })
  return {
    config,
    model: config.model,
    pools,
    footprint: addFootprints(pools.map((p) => p.footprint)),
    kvPath: config.kind === 'disaggregated' ? resolveKvPath(config, catalog, pools) : null,
  }
}

/**
 * The catalog with one hardware entry's constants replaced by a pool's `hardwareOverrides`.
 * On shape-aware hardware (a GEMM curve) `computeEfficiency` is the end-to-end figure the
 * curve was fitted alongside: an override scales that precision's curve (and, for bf16, the
 * attention efficiency) by override / catalog, so a fitted compute speed still moves the model.
 */
export function withHardwareOverrides(catalog: Catalog, hardwareName: string, overrides: HardwareOverrides | undefined): Catalog {
  if (overrides === undefined) return catalog
  const base = catalog.hardware(hardwareName)
  const {computeEfficiency, ...scalars} = overrides
  let spec: HardwareSpec = {...base, ...scalars, computeEfficiency: {...base.computeEfficiency, ...computeEfficiency}}
  for (const precision of precisions) {
    const override = computeEfficiency?.[precision]
    const reference = base.computeEfficiency[precision]
    if (override === undefined || reference === undefined) continue
    spec = scaleShapeAwareCompute(spec, precision, override.value / reference.value, override.source)
  }
  return {...catalog, hardware: (name: string) => (catalog.hardware(name).name === base.name ? spec : catalog.hardware(name))}
}

function scaleShapeAwareCompute(spec: HardwareSpec, precision: Precision, factor: number, source: string): HardwareSpec {
  const curve = spec.gemmEfficiency?.[precision]
  if (curve === undefined || factor === 1) return spec
  const scaled = (value: number) => ({value: Math.min(1, value * factor), source: `${source} (x${factor} of the catalog)`})
  const attention = precision === 'bf16' && spec.attentionEfficiency !== undefined ? {attentionEfficiency: scaled(spec.attentionEfficiency.value)} : {}
  return {...spec, ...attention, gemmEfficiency: {...spec.gemmEfficiency, [precision]: {...curve, small: scaled(curve.small.value), large: scaled(curve.large.value)}}}
}

function applyOverrides(base: BackendConfig, catalog: Catalog, overrides: BackendOverrides): BackendConfig {
  const config = structuredClone(base)
  config.model = catalog.model(overrides.model ?? base.model).name
  const poolNames = listPools(config).map(([name]) => name)
  const scale = overrides.poolScale
  for (const [name, pool] of listPools(config)) {
    const factor = typeof scale === 'number' ? scale : scale?.[name]
    if (factor !== undefined) {
      if (!(Number.isFinite(factor) && factor > 0)) throw new TracebenchError(`pool scale for ${name}: expected a positive number, got ${factor}`)
      pool.replicas = Math.max(1, Math.round(pool.replicas * factor))
    }
    const replicas = overrides.poolReplicas?.[name]
    if (replicas !== undefined) {
      if (!(Number.isSafeInteger(replicas) && replicas >= 1)) throw new TracebenchError(`replicas for ${name}: expected a positive integer, got ${replicas}`)
      pool.replicas = replicas
    }
    if (pool.replicas > maxPoolReplicas) {
      throw new TracebenchError(
        `backend ${config.name}, pool ${name}: ${pool.replicas.toLocaleString('en-US')} replicas; tracebench simulates at most ${maxPoolReplicas.toLocaleString('en-US')} per pool (it keeps state per replica)`,
        {code: 'TOO_MANY_REPLICAS'},
      )
    }
  }
  for (const name of [...Object.keys(typeof scale === 'object' ? scale : {}), ...Object.keys(overrides.poolReplicas ?? {})]) {
    if (!poolNames.includes(name)) {
      throw new TracebenchError(`backend ${config.name} has no pool "${name}"; its pools: ${poolNames.join(', ')}`)
    }
  }
  return config
}

function resolveKvPath(config: BackendConfig & {kind: 'disaggregated'}, catalog: Catalog, pools: ResolvedPool[]): KvPathSpec {
  const transfer = config.kvTransfer
  const link = catalog.link(transfer.link)
  let ingressBytesPerS = Number.POSITIVE_INFINITY
  if (transfer.decodeIngressLink !== undefined) {
    const ingress = catalog.link(transfer.decodeIngressLink)
    const decode = pools.find((p) => p.name === 'decode')!
    const perReplica = transfer.decodeIngressLinksPerReplica ?? decode.cost.chipsPerReplica
    ingressBytesPerS = effectiveBandwidthBytesPerS(ingress) * perReplica
  }
  const achieved = transfer.achievedBandwidthFraction ?? link.efficiency.value
  return {
    egressBytesPerS: link.bandwidthBytesPerS.value * achieved * transfer.linksPerPrefillReplica,
    ingressBytesPerS,
    fixedUs: fixedTransferUs(link, 0),
    overlapFraction: transfer.overlapFraction,
    descriptorUs: link.descriptorUs?.value ?? 0,
    descriptorBytes: link.descriptorBytes?.value ?? 0,
    timeoutUs: transfer.timeoutMs === undefined ? Number.POSITIVE_INFINITY : transfer.timeoutMs * 1000,
  }
}
