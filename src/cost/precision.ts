import type {HardwareSpec} from '../catalogs/load-catalog.js'
import type {Precision} from './types.js'

/** A precision the hardware has no matrix rate for falls back to 16-bit compute. */
const widening: Record<Precision, Precision[]> = {
  fp4: ['fp4', 'bf16'],
  fp8: ['fp8', 'bf16'],
  bf16: ['bf16'],
}

/**
 * The precision the matrix units run in for weights stored at `precision`. Without native
 * support (MXFP4 on an H100, FP8 on a CS-3) serving stacks run weight-only quantization
 * (W4A16/W8A16 kernels such as Marlin): the narrow weights are streamed from memory and
 * upcast, and the matrix multiply runs at the 16-bit rate.
 */
export function selectComputePrecision(hardware: HardwareSpec, precision: Precision): Precision {
  for (const candidate of widening[precision]) {
    if (hardware.peakFlopsPerS[candidate] !== undefined) return candidate
  }
  return 'bf16'
}

/** Achievable FLOP/s of one chip (system for wafers) at a compute precision: peak x efficiency. */
export function computeAchievableFlopsPerS(hardware: HardwareSpec, computePrecision: Precision): number {
  const peak = hardware.peakFlopsPerS[computePrecision] ?? hardware.peakFlopsPerS.bf16!
  const efficiency = hardware.computeEfficiency[computePrecision] ?? hardware.computeEfficiency.bf16!
  return peak.value * efficiency.value
}
