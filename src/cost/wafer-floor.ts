import type {HardwareSpec, ModelSpec, SourcedNumber} from '../catalogs/load-catalog.js'

/**
 * The decode latency floor of a wafer-scale pipeline (CS-3): one token must pass every layer in
 * order, so a step takes at least layers x per-layer latency, whatever the bandwidth.
 * The per-layer latency is calibrated per model to its published per-user speed where one
 * exists (models.yaml `decodeLayerLatencyUs.<hardware>`), else the hardware default: the
 * single-system value for models that fit on one wafer, the multi-system value otherwise.
 */
export function resolveDecodeLayerLatencyUs(model: ModelSpec, hardware: HardwareSpec, systems: number): SourcedNumber | undefined {
  const calibrated = model.decodeLayerLatencyUs?.[hardware.name]
  if (calibrated !== undefined) return calibrated
  if (systems === 1 && hardware.singleSystemDecodeLayerLatencyUs !== undefined) return hardware.singleSystemDecodeLayerLatencyUs
  return hardware.decodeLayerLatencyUs
}

/** Decode floor in ms for one token: layers x per-layer latency (0 when the hardware has no floor). */
export function computeDecodeFloorMs(model: ModelSpec, hardware: HardwareSpec, systems: number): number {
  const perLayer = resolveDecodeLayerLatencyUs(model, hardware, systems)
  return perLayer === undefined ? 0 : (model.layers * perLayer.value) / 1000
}
