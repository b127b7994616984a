import {TracebenchError} from '../common/errors.js'

/**
 * Parses `--rate-scale` values for a sweep: each flag may hold one number or a
 * comma-separated list (`0.25,0.5,1,2,4`). Order is kept (it is the order of the sweep's
 * points); a scale given twice is an error rather than a silently repeated point.
 */
export function parseRateScales(values: readonly string[]): number[] {
  const out: number[] = []
  for (const value of values) {
    for (const part of value.split(',')) {
      const text = part.trim()
      const scale = Number(text)
      if (text === '' || !Number.isFinite(scale) || scale <= 0) {
        throw new TracebenchError(`invalid --rate-scale "${value}": "${text}" is not a positive number; expected positive numbers separated by commas, e.g. 0.25,0.5,1,2,4`, {
          code: 'INVALID_RATE_SCALE',
        })
      }
      if (out.includes(scale)) throw new TracebenchError(`invalid --rate-scale: ${text} is given twice`, {code: 'INVALID_RATE_SCALE'})
      out.push(scale)
    }
  }
  if (out.length === 0) throw new TracebenchError('a sweep needs at least one --rate-scale', {code: 'INVALID_RATE_SCALE'})
  return out
}
