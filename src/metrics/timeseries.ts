import type {StateSample} from './request-outcome.js'
import type {Timeseries} from './results-file.js'

export const defaultMaxTimeseriesPoints = 256
/** First bucket width; it doubles whenever the run outgrows the bucket count. */
export const defaultInitialBucketUs = 100_000

/**
 * A bounded, deterministic downsampling of state samples for report timelines. Memory
 * is fixed (a set number of buckets) whatever the trace length: when time runs past the
 * last bucket, neighbouring buckets are merged pairwise and the width doubles. State is
 * a step function (a sample holds until the next one), so each bucket keeps the largest
 * queue depth and KV use seen in it and the time-weighted mean batch size.
 */
export class TimeseriesSampler {
  private readonly points: number
  private widthUs: number
  private originUs = 0
  private started = false
  private used = 0
  private readonly maxQueue: Float64Array
  private readonly maxKv: Float64Array
  /** Sum of batchSize x microseconds held in the bucket. */
  private readonly batchArea: Float64Array
  private readonly coveredUs: Float64Array
  /** Batch size of the last instantaneous sample, for buckets with no held time. */
  private readonly lastBatch: Float64Array
  private prevT = 0
  private prevQueue = 0
  private prevBatch = 0
  private prevKv = 0

  constructor(maxPoints = defaultMaxTimeseriesPoints, initialBucketUs = defaultInitialBucketUs) {
    // Pairwise merging needs an even count.
    this.points = Math.max(2, Math.ceil(maxPoints / 2) * 2)
    this.widthUs = Math.max(1, Math.round(initialBucketUs))
    this.maxQueue = new Float64Array(this.points)
    this.maxKv = new Float64Array(this.points)
    this.batchArea = new Float64Array(this.points)
    this.coveredUs = new Float64Array(this.points)
    this.lastBatch = new Float64Array(this.points)
  }

  sample(s: StateSample): void {
    this.sampleValues(s.tUs, s.queueDepth, s.batchSize, s.kvUsage)
  }

  /** The same without a sample object, for callers that sample on every event. */
  sampleValues(tUs: number, queueDepth: number, batchSize: number, kvUsage: number): void {
    if (!this.started) {
      this.started = true
      this.originUs = tUs
      this.prevT = tUs
    }
    // Out-of-order samples are treated as simultaneous with the latest one.
    const t = tUs < this.prevT ? this.prevT : tUs
    this.hold(t)
    const i = this.indexFor(t)
    if (queueDepth > this.maxQueue[i]!) this.maxQueue[i] = queueDepth
    if (kvUsage > this.maxKv[i]!) this.maxKv[i] = kvUsage
    this.lastBatch[i] = batchSize
    this.prevT = t
    this.prevQueue = queueDepth
    this.prevBatch = batchSize
    this.prevKv = kvUsage
  }

  /** The downsampled series; the last state is held until `endUs`. */
  finish(endUs: number): Timeseries {
    if (!this.started) return {bucketS: null, tS: [], queueDepth: [], batchSize: [], kvUsage: []}
    if (endUs > this.prevT) this.hold(endUs)
    const out: Timeseries = {bucketS: this.widthUs / 1e6, tS: [], queueDepth: [], batchSize: [], kvUsage: []}
    for (let i = 0; i < this.used; i++) {
      out.tS.push(roundTo((this.originUs + i * this.widthUs) / 1e6, 6))
      out.queueDepth.push(this.maxQueue[i]!)
      const covered = this.coveredUs[i]!
      out.batchSize.push(roundTo(covered > 0 ? this.batchArea[i]! / covered : this.lastBatch[i]!, 3))
      out.kvUsage.push(roundTo(this.maxKv[i]!, 4))
    }
    return out
  }

  /** Spreads the previous state over [prevT, t). */
  private hold(t: number): void {
    if (t <= this.prevT) return
    // Grow first (to the last bucket the held interval reaches; t itself is excluded) so
    // the width does not change inside the loop.
    while (Math.ceil((t - this.originUs) / this.widthUs) - 1 >= this.points) this.halve()
    let from = this.prevT
    while (from < t) {
      const i = this.indexFor(from)
      const bucketEnd = this.originUs + (i + 1) * this.widthUs
      const to = t < bucketEnd ? t : bucketEnd
      const span = to - from
      this.batchArea[i]! += this.prevBatch * span
      this.coveredUs[i]! += span
      if (this.prevQueue > this.maxQueue[i]!) this.maxQueue[i] = this.prevQueue
      if (this.prevKv > this.maxKv[i]!) this.maxKv[i] = this.prevKv
      from = to
    }
  }

  private indexFor(t: number): number {
    let i = Math.floor((t - this.originUs) / this.widthUs)
    while (i >= this.points) {
      this.halve()
      i = Math.floor((t - this.originUs) / this.widthUs)
    }
    if (i + 1 > this.used) this.used = i + 1
    return i
  }

  private halve(): void {
    const half = this.points / 2
    for (let j = 0; j < half; j++) {
      const a = 2 * j
      const b = a + 1
      this.maxQueue[j] = Math.max(this.maxQueue[a]!, this.maxQueue[b]!)
      this.maxKv[j] = Math.max(this.maxKv[a]!, this.maxKv[b]!)
      this.batchArea[j] = this.batchArea[a]! + this.batchArea[b]!
      this.coveredUs[j] = this.coveredUs[a]! + this.coveredUs[b]!
      this.lastBatch[j] = b < this.used ? this.lastBatch[b]! : this.lastBatch[a]!
    }
    this.maxQueue.fill(0, half)
    this.maxKv.fill(0, half)
    this.batchArea.fill(0, half)
    this.coveredUs.fill(0, half)
    this.lastBatch.fill(0, half)
    this.used = Math.ceil(this.used / 2)
    this.widthUs *= 2
  }
}

/**
 * Combines the series of several results deterministically: every point of every part
 * (in part order) is placed in a bucket of a common grid (the widest part's width,
 * doubled until the union fits in `maxPoints`); a bucket keeps the largest queue depth
 * and KV use and the mean of the batch sizes that fell in it. Repeated runs of one
 * configuration overlay; time shards line up one after another.
 */
export function mergeTimeseries(parts: readonly Timeseries[], maxPoints = defaultMaxTimeseriesPoints): Timeseries {
  const withPoints = parts.filter((p) => p.tS.length > 0)
  if (withPoints.length === 0) return {bucketS: null, tS: [], queueDepth: [], batchSize: [], kvUsage: []}
  let widthUs = 1
  let originUs = Number.POSITIVE_INFINITY
  let lastUs = Number.NEGATIVE_INFINITY
  for (const p of withPoints) {
    widthUs = Math.max(widthUs, Math.round((p.bucketS ?? 0) * 1e6))
    for (const t of p.tS) {
      const us = Math.round(t * 1e6)
      if (us < originUs) originUs = us
      if (us > lastUs) lastUs = us
    }
  }
  while (Math.floor((lastUs - originUs) / widthUs) >= maxPoints) widthUs *= 2
  const buckets = new Map<number, {queue: number; kv: number; batchSum: number; n: number}>()
  for (const p of withPoints) {
    for (let k = 0; k < p.tS.length; k++) {
      const i = Math.floor((Math.round(p.tS[k]! * 1e6) - originUs) / widthUs)
      let b = buckets.get(i)
      if (b === undefined) {
        b = {queue: 0, kv: 0, batchSum: 0, n: 0}
        buckets.set(i, b)
      }
      b.queue = Math.max(b.queue, p.queueDepth[k]!)
      b.kv = Math.max(b.kv, p.kvUsage[k]!)
      b.batchSum += p.batchSize[k]!
      b.n += 1
    }
  }
  const out: Timeseries = {bucketS: widthUs / 1e6, tS: [], queueDepth: [], batchSize: [], kvUsage: []}
  for (const i of [...buckets.keys()].sort((a, b) => a - b)) {
    const b = buckets.get(i)!
    out.tS.push(roundTo((originUs + i * widthUs) / 1e6, 6))
    out.queueDepth.push(b.queue)
    out.batchSize.push(roundTo(b.batchSum / b.n, 3))
    out.kvUsage.push(roundTo(b.kv, 4))
  }
  return out
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
