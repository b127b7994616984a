import type {Crossover} from './claims-report.js'

/**
 * Where a measured ratio crosses a level (1: break-even; the claimed target) as the
 * workload's input/output token ratio moves. Points are sorted by input/output ratio;
 * between two neighbours on opposite sides of the level, the crossing is interpolated
 * linearly in the ratio against log(input/output) (the sweep's factors are spaced
 * geometrically). A ratio of 0 (a capacity of 0) is a real point and can be crossed to.
 * A point exactly on the level counts once, as a crossing there.
 */
export interface MixPoint {
  factor: number
  inputOutputRatio: number
  ratio: number | null
}

export function findCrossovers(points: readonly MixPoint[], level: number): Crossover[] {
  const usable = points
    .filter((p) => p.ratio !== null && Number.isFinite(p.ratio) && p.ratio >= 0 && p.inputOutputRatio > 0 && Number.isFinite(p.inputOutputRatio))
    .sort((a, b) => a.inputOutputRatio - b.inputOutputRatio)
  const out: Crossover[] = []
  for (let i = 1; i < usable.length; i++) {
    const a = usable[i - 1] as MixPoint
    const b = usable[i] as MixPoint
    const da = (a.ratio as number) - level
    const db = (b.ratio as number) - level
    if (da === 0 && i > 1) continue // already counted as the right end of the previous pair
    if (da * db > 0 || (da === 0 && db === 0)) continue
    const t = da / (da - db)
    const logX = Math.log(a.inputOutputRatio) + t * (Math.log(b.inputOutputRatio) - Math.log(a.inputOutputRatio))
    out.push({
      inputOutputRatio: Number(Math.exp(logX).toPrecision(6)),
      level,
      direction: db < da ? 'falls-below' : 'rises-above',
      betweenFactors: [a.factor, b.factor],
    })
  }
  return out
}
