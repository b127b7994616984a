import {encodeCounts, summarizeCounts, userSpeedOfCounts} from './histogram-counts.js'
import {encodeHistogram, summarizeHistogram, type LatencyHistogram} from './histograms.js'
import {LatencyCounts} from './latency-counts.js'
import {computeCounters} from './rates.js'
import type {RequestFailure, RequestOutcome, StateSample} from './request-outcome.js'
import type {MetricEntry, MetricsSnapshot} from './results-file.js'
import {compileRequestCheck, computeRequestValues, createRequestValues, type RequestValues, type Slo} from './slo.js'
import {defaultMaxTimeseriesPoints, TimeseriesSampler} from './timeseries.js'

export interface RecorderOptions {
  /** SLOs for goodput; without them (or with none) goodput is null. */
  slos?: readonly Slo[]
  /** Upper bound on time-series points (memory is fixed by it). Default 256. */
  maxTimeseriesPoints?: number
  /** First time-series bucket width in microseconds (it doubles as the run grows). Default 100 ms. */
  initialBucketUs?: number
  /**
   * Steady-state scoring (see replay/steady-state.ts): only requests arriving inside the
   * window (both ends included) are scored, and the request and output-token rates are
   * what was delivered during it (completions inside it, whichever request they belong to).
   */
  scoreWindow?: MeasuredWindow
}

/** What a scoring window let through and kept out (steady-state replays). */
export interface WindowTotals {
  /** Completions inside the window, of any request, and their output tokens: what the backend delivered. */
  delivered: number
  deliveredOutputTokens: number
  /** Finished requests that arrived before the window (warm-up) or after it (the tail), not scored. */
  excludedBefore: number
  excludedAfter: number
}

export interface MeasuredWindow {
  startUs: number
  endUs: number
}

/**
 * Turns request outcomes into histograms and counters. One per replay (or per worker);
 * the simulator calls it at 200k+ requests/s, so recording allocates nothing per request:
 * histograms are preallocated, per-request values go into one reused object, and goodput
 * SLOs are compiled once.
 */
export class MetricsRecorder {
  /** recordOutcome reads an outcome and keeps nothing of it (a replay may reuse the object). */
  readonly borrowsOutcomes = true
  // Counted in the histograms' bucket layout, turned into histograms by finish().
  private readonly ttft = new LatencyCounts()
  private readonly tpot = new LatencyCounts()
  private readonly itl = new LatencyCounts()
  private readonly e2e = new LatencyCounts()
  private readonly queue = new LatencyCounts()
  private readonly kvTransfer = new LatencyCounts()
  private sendLag: LatencyCounts | null = null
  private readonly values: RequestValues = createRequestValues()
  private readonly meetsSlos: ((v: RequestValues) => boolean) | null
  private readonly timeseries: TimeseriesSampler
  private readonly failureReasons = new Map<string, number>()
  private completed = 0
  private failed = 0
  private inputTokens = 0
  private outputTokens = 0
  private cachedTokens = 0
  private preemptions = 0
  private goodRequests = 0
  private goodOutputTokens = 0
  private finished = false
  /** A run of identical inter-token gaps not yet recorded (see recordItlGaps). */
  private pendingItlUs = -1
  private pendingItlCount = 0
  private readonly scoreWindow: MeasuredWindow | null
  private readonly windowTotals: WindowTotals = {delivered: 0, deliveredOutputTokens: 0, excludedBefore: 0, excludedAfter: 0}

  constructor(options: RecorderOptions = {}) {
    this.scoreWindow = options.scoreWindow ?? null
    const slos = options.slos ?? []
    this.meetsSlos = slos.length > 0 ? compileRequestCheck(slos) : null
    this.timeseries = new TimeseriesSampler(options.maxTimeseriesPoints ?? defaultMaxTimeseriesPoints, options.initialBucketUs)
  }

  recordOutcome(o: RequestOutcome): void {
    if (this.scoreWindow !== null && !this.inWindow(o)) return
    const v = computeRequestValues(o, this.values)
    this.ttft.record(v.ttftUs)
    this.e2e.record(v.e2eUs)
    this.queue.record(v.queueUs)
    if (o.outputTokens > 1) this.tpot.record(v.tpotUs)
    const gaps = o.itlGapsUs
    for (let i = 0; i < gaps.length; i++) {
      const pair = gaps[i] as [number, number]
      this.itl.record(pair[0], pair[1])
    }
    if (o.kvTransferUs > 0) this.kvTransfer.record(o.kvTransferUs)
    if (o.sendLagUs !== undefined) {
      this.sendLag ??= new LatencyCounts()
      this.sendLag.record(o.sendLagUs)
    }
    this.completed++
    this.inputTokens += o.inputTokens
    this.outputTokens += o.outputTokens
    this.cachedTokens += o.cachedTokens
    this.preemptions += o.preemptions
    if (this.meetsSlos !== null && this.meetsSlos(v)) {
      this.goodRequests++
      this.goodOutputTokens += o.outputTokens
    }
  }

  /**
   * Inter-token gaps reported per replica rather than per request: `count` tokens each
   * came `gapUs` after their predecessor. The simulator reports every gap this way (all
   * sequences decoding on a replica see the same step time), so the ITL histogram is the
   * exact distribution over all gaps at O(1) per decode step. Allocates nothing.
   */
  recordItlGaps(gapUs: number, count: number): void {
    if (count <= 0) return
    // Consecutive reports often repeat the same gap (a replica's batch decoding at a
    // steady step time): add them up and record once. The histogram is the same, with
    // fewer calls into it; the pending run is flushed when the gap changes and in finish().
    const us = Math.round(gapUs)
    if (us === this.pendingItlUs) {
      this.pendingItlCount += count
      return
    }
    this.flushItl()
    this.pendingItlUs = us
    this.pendingItlCount = count
  }

  private flushItl(): void {
    if (this.pendingItlCount > 0) this.itl.record(this.pendingItlUs, this.pendingItlCount)
    this.pendingItlCount = 0
  }

  /** Window bookkeeping of a finished request; true when it arrived inside the window (it is scored). */
  private inWindow(o: {arrivalUs: number; completionUs?: number; outputTokens?: number}): boolean {
    const w = this.scoreWindow as MeasuredWindow
    const t = this.windowTotals
    if (o.completionUs !== undefined && o.completionUs >= w.startUs && o.completionUs <= w.endUs) {
      t.delivered++
      t.deliveredOutputTokens += o.outputTokens ?? 0
    }
    if (o.arrivalUs < w.startUs) t.excludedBefore++
    else if (o.arrivalUs > w.endUs) t.excludedAfter++
    else return true
    return false
  }

  /** Totals of the scoring window (zeros without one). */
  get window(): Readonly<WindowTotals> {
    return this.windowTotals
  }

  recordFailure(f: RequestFailure): void {
    if (this.scoreWindow !== null && !this.inWindow(f)) return
    this.failed++
    this.failureReasons.set(f.reason, (this.failureReasons.get(f.reason) ?? 0) + 1)
  }

  sampleState(s: StateSample): void {
    this.timeseries.sampleValues(s.tUs, s.queueDepth, s.batchSize, s.kvUsage)
  }

  /** `sampleState` without allocating a sample object (for per-event sampling in hot loops). */
  sampleStateValues(tUs: number, queueDepth: number, batchSize: number, kvUsage: number): void {
    this.timeseries.sampleValues(tUs, queueDepth, batchSize, kvUsage)
  }

  /** Requests recorded so far (completed + failed), for progress and accounting checks. */
  get recordedRequests(): number {
    return this.completed + this.failed
  }

  /**
   * Summaries, encoded histograms, counters and rates over the measured window (the
   * caller chooses it; the simulator uses first arrival to last completion). Call once.
   */
  finish(window: MeasuredWindow): MetricsSnapshot {
    if (this.finished) throw new Error('internal: MetricsRecorder.finish called twice')
    this.finished = true
    this.flushItl()
    const startUs = Math.round(window.startUs)
    const endUs = Math.max(startUs, Math.round(window.endUs))
    const durationUs = endUs - startUs
    const counters = computeCounters(
      {
        completed: this.completed,
        failed: this.failed,
        failureReasons: Object.fromEntries(this.failureReasons),
        inputTokens: this.inputTokens,
        outputTokens: this.outputTokens,
        cachedTokens: this.cachedTokens,
        preemptions: this.preemptions,
        good: this.meetsSlos === null ? null : {requests: this.goodRequests, outputTokens: this.goodOutputTokens},
      },
      durationUs,
    )
    if (this.scoreWindow !== null) {
      // Throughput is what the backend delivered during the window, not what the scored requests will eventually get.
      counters.requestsPerS = computeCounters({...emptyTotals, completed: this.windowTotals.delivered}, durationUs).requestsPerS
      counters.outputTokensPerS = computeCounters({...emptyTotals, outputTokens: this.windowTotals.deliveredOutputTokens}, durationUs).outputTokensPerS
    }
    const metrics: MetricsSnapshot['metrics'] = {
      ttft: countsEntry(this.ttft),
      tpot: countsEntry(this.tpot),
      itl: countsEntry(this.itl),
      e2e: countsEntry(this.e2e),
      queue: countsEntry(this.queue),
      kvTransfer: countsEntry(this.kvTransfer),
    }
    if (this.sendLag !== null) metrics.sendLag = countsEntry(this.sendLag)
    return {
      window: {startUs, endUs, durationS: durationUs / 1e6},
      counters,
      metrics,
      userSpeed: userSpeedOfCounts(this.tpot.bucketCounts()),
      timeseries: this.timeseries.finish(endUs),
    }
  }
}

const emptyTotals = {completed: 0, failed: 0, failureReasons: {}, inputTokens: 0, outputTokens: 0, cachedTokens: 0, preemptions: 0, good: null}

/** A results-file metric entry from a histogram: summary, encoding, clamped count. */
export function buildMetricEntry(histogram: LatencyHistogram, clampedCount: number): MetricEntry {
  return entry(histogram, clampedCount)
}

function countsEntry(counts: LatencyCounts): MetricEntry {
  const buckets = counts.bucketCounts()
  return {...summarizeCounts(buckets), histogram: encodeCounts(buckets), clampedCount: counts.clamped}
}

function entry(histogram: LatencyHistogram, clampedCount: number): MetricEntry {
  return {...summarizeHistogram(histogram), histogram: encodeHistogram(histogram), clampedCount}
}
