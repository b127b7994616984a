import {alignColumns} from '../common/text-table.js'
import {formatNumber} from './format-number.js'
import type {Prediction} from './predict-step.js'

/** The human form of `tracebench predict`: the step time, which term bound it, and its breakdown. */
export function formatPrediction(prediction: Prediction): string {
  const unit = prediction.hardware === 'cs3' ? 'system' : 'chip'
  const parallel = prediction.hardware === 'cs3' ? '' : `, tp ${prediction.tp}${prediction.pp > 1 ? `, pp ${prediction.pp}` : ''}`
  const lines = [
    `${prediction.model} on ${prediction.chips} x ${prediction.hardware} ${unit}${prediction.chips === 1 ? '' : 's'} (${prediction.precision}${prediction.computePrecision === prediction.precision ? '' : ` weights, ${prediction.computePrecision} compute`}${parallel})`,
    `weights ${formatNumber(prediction.weightBytes / 1e9)} GB, KV ${prediction.kvBytesPerToken.toLocaleString('en-US')} B/token, KV capacity ${prediction.kvCapacityTokens.toLocaleString('en-US')} tokens`,
    prediction.phase === 'prefill'
      ? `prefill: ${prediction.batch} x ${prediction.tokens!.toLocaleString('en-US')} new tokens${prediction.cachedTokens ? ` after ${prediction.cachedTokens.toLocaleString('en-US')} cached` : ''}`
      : `decode step: batch ${prediction.batch}, ${prediction.contextTokens!.toLocaleString('en-US')} tokens of context per sequence`,
    '',
  ]
  const ms = (value: number) => [formatNumber(value, 3), 'ms']
  const rows: string[][] = [
    ['step time', ...ms(prediction.ms), `${prediction.bound}-bound${prediction.source === 'profile' ? ', corrected by the measured profile' : ''}`],
    ['  compute', ...ms(prediction.computeMs), prediction.flops === null ? '' : `${formatNumber(prediction.flops / 1e12, 2)} TFLOP`],
    ['  memory', ...ms(prediction.memoryMs), prediction.bytes === null ? '' : `${formatNumber(prediction.bytes / 1e9, 2)} GB moved`],
    ['  latency floor', ...ms(prediction.latencyMs), ''],
    ['  communication', ...ms(prediction.commMs), ''],
    ['  overhead', ...ms(prediction.overheadMs), ''],
  ]
  if (prediction.tokensPerSPerUser !== undefined) rows.push(['per-user speed', formatNumber(prediction.tokensPerSPerUser), 'tok/s', ''])
  const range = prediction.tokensPerSPerUserRange
  if (range !== undefined) rows.push(['  may lie between', `${formatNumber(range[0])}-${formatNumber(range[1])}`, 'tok/s', 'not calibrated (see below)'])
  rows.push([prediction.phase === 'prefill' ? 'prompt throughput' : 'output throughput', formatNumber(prediction.tokensPerS), 'tok/s', ''])
  const f = prediction.footprint
  lines.push(...alignColumns(rows, [2, 3]))
  if (prediction.decodeSpeed !== undefined && !prediction.decodeSpeed.calibrated) lines.push('', prediction.decodeSpeed.why)
  lines.push('', `footprint: ${f.systems} system${f.systems === 1 ? '' : 's'}, ${f.racks} rack${f.racks === 1 ? '' : 's'}, ${formatNumber(f.kW)} kW${f.usdPerHour === null ? '' : `, $${formatNumber(f.usdPerHour, 2)}/h`}`)
  return lines.join('\n')
}
