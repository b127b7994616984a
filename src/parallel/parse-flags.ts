import {TracebenchError} from '../common/errors.js'

/** `2%` or `0.02` -> 0.02 (the capacity search's relative precision; any share above 0 and at most 1). */
export function parsePrecision(text: string, flag = '--precision'): number {
  const trimmed = text.trim()
  const percent = trimmed.endsWith('%')
  const value = Number(percent ? trimmed.slice(0, -1) : trimmed)
  const precision = percent ? value / 100 : value
  if (trimmed === '' || !Number.isFinite(value) || !(precision > 0 && precision <= 1)) {
    throw new TracebenchError(`invalid ${flag} "${text}": expected a share above 0 and at most 1, as a fraction (0.02) or a percentage (2%)`, {
      code: 'INVALID_SEARCH',
    })
  }
  return precision
}

export function parsePositive(text: string, flag: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new TracebenchError(`${flag}: expected a positive number, got "${text}"`)
  return value
}
