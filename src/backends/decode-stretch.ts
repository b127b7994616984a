import type {CostModel} from '../cost/types.js'

/** A validated line: a step for `batch` sequences over C tokens of context takes a + b C µs, for C in [lo, hi]. */
interface StepLine {
  a: number
  b: number
  lo: number
  hi: number
}

/**
 * Closed-form decode stretches. While a replica's batch does not change, step i of a
 * stretch runs `batch` sequences over a total context of C0 + i x batch tokens. The
 * cost model's step time is piecewise linear in the context (a max of linear compute,
 * memory and latency terms), so over a stretch where no term changes it is
 * t_i = t0 + i x d, and n steps take S(n) = n t0 + d n(n-1)/2.
 *
 * Fitting (t0, d) takes three cost-model calls (both ends and the midpoint, which must
 * lie on the line; a stretch whose midpoint is off the line, because the binding term
 * switches inside it, is halved until it is linear). A validated line is remembered per
 * batch size, so a later stretch of the same batch size inside the same context range
 * costs no call at all.
 */
export class DecodeStretch {
  /** First step's time (µs). */
  t0 = 0
  /** Increase of the step time per step (µs). */
  d = 0
  /** Steps in the stretch. */
  steps = 0
  private readonly lines = new Map<number, StepLine>()
  /** Batch sizes whose step time is not linear over the whole context range (a kink inside). */
  private readonly kinked = new Set<number>()

  /**
   * Fits the stretch for `batch` sequences starting at `contextTokens`, for at most
   * `maxSteps` steps; returns the number of steps over which the fit holds.
   */
  fit(cost: CostModel, batch: number, contextTokens: number, maxSteps: number): number {
    let steps = Math.max(1, Math.floor(maxSteps))
    const hi = contextTokens + batch * (steps - 1)
    let line = this.lines.get(batch)
    if ((line === undefined || contextTokens < line.lo || hi > line.hi) && !this.kinked.has(batch)) line = this.validateWide(cost, batch, contextTokens, hi)
    if (line !== undefined && contextTokens >= line.lo && hi <= line.hi) {
      this.t0 = line.a + line.b * contextTokens
      this.d = line.b * batch
      this.steps = steps
      return steps
    }
    const t0 = cost.decodeStepMs(batch, contextTokens) * 1000
    this.t0 = t0
    if (steps === 1) {
      this.d = 0
      this.steps = 1
      return 1
    }
    for (;;) {
      const last = steps - 1
      const tLast = cost.decodeStepMs(batch, contextTokens + batch * last) * 1000
      if (steps === 2) {
        this.d = tLast - t0
        break
      }
      const mid = last >> 1
      const tMid = cost.decodeStepMs(batch, contextTokens + batch * mid) * 1000
      const linear = t0 + ((tLast - t0) * mid) / last
      if (Math.abs(tMid - linear) <= 1e-7 * Math.max(Math.abs(tMid), 1e-3)) {
        this.d = (tLast - t0) / last
        if (last >= 4) this.remember(batch, contextTokens, contextTokens + batch * last)
        break
      }
      steps = mid + 1
    }
    this.steps = steps
    return steps
  }

  /**
   * Once per batch size: checks whether the step time is one line over every context
   * the replica can hold (five evaluations: both ends and the quarter points). If so,
   * every later stretch of this batch size is fitted without calling the cost model.
   */
  private validateWide(cost: CostModel, batch: number, lo: number, hi: number): StepLine | undefined {
    const from = Math.min(lo, batch)
    const to = Math.max(hi, 2 * cost.kvCapacityTokens)
    const at = (context: number) => cost.decodeStepMs(batch, context) * 1000
    const tFrom = at(from)
    const tTo = at(to)
    const b = (tTo - tFrom) / (to - from)
    for (const q of [0.25, 0.5, 0.75]) {
      const context = from + (to - from) * q
      const t = at(context)
      if (Math.abs(t - (tFrom + b * (context - from))) > 1e-7 * Math.max(Math.abs(t), 1e-3)) {
        this.kinked.add(batch)
        return this.lines.get(batch)
      }
    }
    const line = {a: tFrom - b * from, b, lo: from, hi: to}
    this.lines.set(batch, line)
    return line
  }

  private remember(batch: number, lo: number, hi: number): void {
    const b = this.d / batch
    const a = this.t0 - b * lo
    const known = this.lines.get(batch)
    // Extend a known line when the new range touches it and the two lines agree.
    if (known !== undefined && lo <= known.hi && hi >= known.lo && Math.abs(known.a + known.b * lo - this.t0) <= 1e-7 * this.t0 && Math.abs(known.b - b) <= 1e-9 * Math.abs(b) + 1e-15) {
      known.lo = Math.min(known.lo, lo)
      known.hi = Math.max(known.hi, hi)
      return
    }
    this.lines.set(batch, {a, b, lo, hi})
  }

  /** Time of the first n steps (µs). */
  timeOf(n: number): number {
    return n * this.t0 + (this.d * n * (n - 1)) / 2
  }

  /** The fewest steps (>= 1) that take at least `deltaUs`; may exceed `steps`. */
  stepsToCover(deltaUs: number): number {
    if (deltaUs <= this.t0) return 1
    const t0 = this.t0
    const d = this.d
    let n: number
    if (Math.abs(d) < 1e-12 * t0) {
      n = Math.ceil(deltaUs / t0)
    } else {
      // (d/2) n^2 + (t0 - d/2) n - delta = 0
      const a = d / 2
      const b = t0 - a
      const disc = b * b + 4 * a * deltaUs
      n = disc <= 0 ? Math.ceil(deltaUs / t0) : Math.ceil((-b + Math.sqrt(disc)) / (2 * a))
      if (!Number.isFinite(n) || n < 1) n = 1
    }
    while (n > 1 && this.timeOf(n - 1) >= deltaUs) n--
    while (this.timeOf(n) < deltaUs) n++
    return n
  }
}
