import type {SeededRandom} from '../common/seeded-random.js'

/** An empirical distribution given by percentile knots (ascending percentiles and values). */
export interface PercentileKnots {
  /** Percentiles in [0, 100], ascending, starting at 0 and ending at 100. */
  percentiles: readonly number[]
  /** Values at those percentiles, non-decreasing. */
  values: readonly number[]
}

/**
 * Draws from a piecewise-linear inverse CDF through the knots: u ~ U[0,1) is mapped to
 * the value at percentile 100u, interpolating linearly between neighbouring knots. It
 * reproduces each knot exactly (the median, p90, p99, min and max of the source) and
 * keeps multi-modal shapes that a lognormal fit would smooth away.
 */
export function createPercentileSampler(knots: PercentileKnots): (rng: SeededRandom) => number {
  const {percentiles, values} = knots
  if (percentiles.length !== values.length || percentiles.length < 2 || percentiles[0] !== 0 || percentiles.at(-1) !== 100) {
    throw new Error('percentile knots must start at 0, end at 100 and pair each percentile with a value')
  }
  for (let i = 1; i < percentiles.length; i++) {
    if ((percentiles[i] as number) <= (percentiles[i - 1] as number) || (values[i] as number) < (values[i - 1] as number)) {
      throw new Error(`percentile knots must increase (at index ${i})`)
    }
  }
  // The first knot at or above each whole percentile, where the search for p starts
  // (it never passes the knot the linear search from the start would stop at).
  const startAt = new Int32Array(101)
  for (let whole = 0, knot = 1; whole <= 100; whole++) {
    while ((percentiles[knot] as number) < whole) knot++
    startAt[whole] = knot
  }
  return (rng) => {
    const p = rng.next() * 100
    let high = startAt[Math.floor(p)] as number
    while ((percentiles[high] as number) < p) high++
    const p0 = percentiles[high - 1] as number
    const v0 = values[high - 1] as number
    const fraction = (p - p0) / ((percentiles[high] as number) - p0)
    return v0 + ((values[high] as number) - v0) * fraction
  }
}
