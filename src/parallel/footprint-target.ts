import {TracebenchError} from '../common/errors.js'
import type {Footprint} from '../metrics/results-file.js'

/**
 * `--footprint racks=4` (or `kw=100`, `systems=8`, `chips=64`): the hardware budget every
 * backend is scaled to before a comparison, so that "in the same footprint" is a flag.
 */
export const footprintUnits = ['racks', 'kW', 'systems', 'chips'] as const
export type FootprintUnit = (typeof footprintUnits)[number]

export interface FootprintTarget {
  unit: FootprintUnit
  value: number
}

const expected = `UNIT=NUMBER with UNIT one of ${footprintUnits.map((u) => u.toLowerCase()).join(', ')} (e.g. racks=4 or kw=120)`

export function parseFootprintTarget(text: string): FootprintTarget {
  const match = /^\s*([A-Za-z]+)\s*=\s*([^\s]+)\s*$/.exec(text)
  if (match === null) throw new TracebenchError(`invalid --footprint "${text}": expected ${expected}`, {code: 'INVALID_FOOTPRINT'})
  const unitText = (match[1] as string).toLowerCase()
  const unit = footprintUnits.find((u) => u.toLowerCase() === unitText || `${u.toLowerCase()}` === `${unitText}s`)
  if (unit === undefined) throw new TracebenchError(`invalid --footprint "${text}": unknown unit "${match[1]}"; expected ${expected}`, {code: 'INVALID_FOOTPRINT'})
  const value = Number(match[2])
  if (!Number.isFinite(value) || value <= 0) {
    throw new TracebenchError(`invalid --footprint "${text}": "${match[2]}" is not a positive number; expected ${expected}`, {code: 'INVALID_FOOTPRINT'})
  }
  return {unit, value}
}

export function formatFootprintTarget(target: FootprintTarget): string {
  return `${target.unit}=${target.value}`
}

export function readFootprintUnit(footprint: Footprint, unit: FootprintUnit): number {
  return footprint[unit]
}

export function formatFootprint(footprint: Footprint): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  return `${plural(footprint.systems, 'system')}, ${plural(footprint.chips, 'chip')}, ${plural(footprint.racks, 'rack')}, ${Number(footprint.kW.toFixed(1))} kW`
}
