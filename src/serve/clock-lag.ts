import {createLatencyHistogram, recordValueUs, valuesAtPercentilesUs, type LatencyHistogram} from '../metrics/histograms.js'

/** Clock lag over a span of wake-ups, in milliseconds. */
export interface LagSummary {
  wakeups: number
  p50Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  /** Share of wake-ups more than 1 ms late (0..1). */
  lateFraction: number | null
  /** Most requests in flight at a wake-up. */
  maxStreams: number
}

/**
 * How late the live simulation ran each wake-up against the time it was due: the gap
 * between the simulated clock and the wall clock. Kept for the whole run and for the
 * current window (reset by `takeWindow`), so a server can say both "over the run" and
 * "in the last few seconds".
 */
export class ClockLag {
  private readonly total = new Window()
  private readonly window = new Window()

  record(lagUs: number, streams: number): void {
    const us = Math.max(0, Math.round(lagUs))
    this.total.add(us, streams)
    this.window.add(us, streams)
  }

  summary(): LagSummary {
    return this.total.summary()
  }

  /** The current window's summary; starts a new window. */
  takeWindow(): LagSummary {
    const summary = this.window.summary()
    this.window.reset()
    return summary
  }

  /** Lag histogram over the run (µs), for /metrics. */
  get histogram(): LatencyHistogram {
    return this.total.histogram
  }
}

class Window {
  readonly histogram = createLatencyHistogram()
  private late = 0
  private maxStreams = 0

  reset(): void {
    this.histogram.reset()
    this.late = 0
    this.maxStreams = 0
  }

  add(us: number, streams: number): void {
    recordValueUs(this.histogram, us)
    if (us > 1000) this.late++
    if (streams > this.maxStreams) this.maxStreams = streams
  }

  summary(): LagSummary {
    const count = this.histogram.totalCount
    if (count === 0) return {wakeups: 0, p50Ms: null, p99Ms: null, maxMs: null, lateFraction: null, maxStreams: this.maxStreams}
    const [p50, p99] = valuesAtPercentilesUs(this.histogram, [50, 99])
    return {
      wakeups: count,
      p50Ms: p50! / 1000,
      p99Ms: p99! / 1000,
      maxMs: this.histogram.maxValue / 1000,
      lateFraction: this.late / count,
      maxStreams: this.maxStreams,
    }
  }
}
