import type {HardwareSpec, ModelSpec} from '../catalogs/load-catalog.js'
import {alignColumns} from '../common/text-table.js'
import {formatNumber} from './format-number.js'
import {describeModelShape} from './model-shape.js'

export function formatHardwareTable(entries: HardwareSpec[]): string {
  const tflops = (entry: HardwareSpec, precision: 'bf16' | 'fp8' | 'fp4') => {
    const peak = entry.peakFlopsPerS[precision]
    return peak === undefined ? '-' : formatNumber(peak.value / 1e12, 0)
  }
  const rows = [
    ['name', 'kind', 'BF16 TF', 'FP8 TF', 'FP4 TF', 'memory GB', 'TB/s', 'per server', 'W/chip', 'description'],
    ...entries.map((entry) => [
      entry.name,
      entry.kind,
      tflops(entry, 'bf16'),
      tflops(entry, 'fp8'),
      tflops(entry, 'fp4'),
      formatNumber(entry.memoryBytes.value / 1e9, 0),
      formatNumber(entry.memoryBandwidthBytesPerS.value / 1e12, 2),
      String(entry.footprint.chipsPerServer.value),
      formatNumber(entry.footprint.chipPowerW.value, 0),
      entry.displayName,
    ]),
  ]
  return alignColumns(rows, [1, 9]).join('\n')
}

export function formatModelTable(entries: ModelSpec[]): string {
  const rows = [
    ['name', 'params B', 'active B', 'layers', 'hidden', 'heads q/kv', 'KV B/token', 'max context', 'attention', 'aliases'],
    ...entries.map((entry) => {
      const shape = describeModelShape(entry)
      const attention = [
        entry.attention?.mla === undefined ? 'GQA' : 'MLA',
        entry.attention?.slidingWindow === undefined ? '' : `SWA ${entry.attention.slidingWindow.windowTokens}x${entry.attention.slidingWindow.layers}`,
        entry.attention?.chunked === undefined ? '' : `chunked ${entry.attention.chunked.chunkTokens}x${entry.attention.chunked.layers}`,
        entry.moe === undefined ? '' : `MoE ${entry.moe.activeExperts}/${entry.moe.experts}`,
      ]
        .filter((part) => part !== '')
        .join(', ')
      return [
        entry.name,
        formatNumber(shape.totalParams / 1e9, 1),
        formatNumber(shape.activeParams / 1e9, 1),
        String(entry.layers),
        String(entry.hidden),
        `${entry.qHeads}/${entry.kvHeads}`,
        shape.kvBytesPerToken.toLocaleString('en-US'),
        entry.maxContextTokens.toLocaleString('en-US'),
        attention,
        entry.aliases.join(', '),
      ]
    }),
  ]
  return alignColumns(rows, [8, 9]).join('\n')
}
