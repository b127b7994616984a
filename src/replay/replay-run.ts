import type {BackendHost, BackendState, SimBackend} from '../backends/backend.js'
import type {Sequence} from '../backends/sequence.js'
import {createRng, type SeededRandom} from '../common/seeded-random.js'
import type {RequestFailure, RequestOutcome, StateSample} from '../metrics/request-outcome.js'
import {ArrivalSource, type ArrivalOptions, type ArrivalStats, type RecordBatches, type RequestSink} from './arrivals.js'
import {buildFailure, buildOutcome, createReusableOutcome, fillOutcome} from './build-outcome.js'
import {EventKind, type EventHandler, type SimEvent} from '../kernel/event-queue.js'
import {Simulator, type SimFeeder} from '../kernel/simulator.js'

/** Where outcomes go (the MetricsRecorder, or a collector in tests). */
export interface OutcomeSink {
  /**
   * True when the sink only reads an outcome during `recordOutcome` and keeps no
   * reference to it: the replay then fills one object again for every request.
   */
  readonly borrowsOutcomes?: boolean
  recordOutcome(outcome: RequestOutcome): void
  recordFailure(failure: RequestFailure): void
  sampleState(sample: StateSample): void
  /** Optional: `sampleState` without a sample object (used when present; MetricsRecorder has it). */
  sampleStateValues?(tUs: number, queueDepth: number, batchSize: number, kvUsage: number): void
  /**
   * Inter-token gaps reported per replica rather than per request (`count` tokens came
   * `gapUs` after their predecessor); see ReplayRun.recordItl. MetricsRecorder has it.
   */
  recordItlGaps(gapUs: number, count: number): void
}

/** Optional per-request log (--requests-out); flushed between simulation steps. It keeps no reference to an outcome it logs. */
export interface RequestLog {
  logOutcome(outcome: RequestOutcome): void
  logFailure(failure: RequestFailure): void
  readonly needsFlush: boolean
  flush(): Promise<void>
}

export interface ReplayRunOptions {
  records: RecordBatches
  arrivals: ArrivalOptions
  seed: number
  sink: OutcomeSink
  createBackend: (host: BackendHost) => SimBackend
  log?: RequestLog
  /** First state-sampling interval (doubles every 2,048 samples so long runs stay cheap). */
  sampleIntervalUs?: number
  /** Called every `progressEvery` finished requests. */
  onProgress?: (finishedRequests: number) => void
  progressEvery?: number
  /** Let the event loop run every this many events (see ReplayHooks). */
  yieldEveryEvents?: number
  /**
   * Steady-state scoring window (both ends included): inter-token gaps count only while
   * the clock is inside it, and releases inside it are counted (releasedInWindow).
   */
  scoreWindow?: {startUs: number; endUs: number}
  /**
   * Called once when the clock reaches the window's end (after everything else at that
   * instant); returning true stops the replay there (see run-replay: a load already known
   * not to be sustained need not drain its backlog).
   */
  onWindowEnd?: () => boolean
}

/** The arrival statistics of the records read, plus what the run did with them. */
export interface ReplayRunResult extends ArrivalStats {
  /** First scheduled arrival. */
  startUs: number
  /** Last completion or failure. */
  endUs: number
  completed: number
  failed: number
  /** Requests still in flight when the replay stopped at its window's end (0 when it ran to the end). */
  unfinished: number
  /** Requests released inside the steady-state window (0 without one). */
  releasedInWindow: number
  eventsHandled: number
  counters: Record<string, number>
}

const samplesPerDoubling = 2048

/**
 * One simulated replay: the simulator instance, its seeded generator, the arrival
 * stream, the backend and the outcome sink, wired together. Everything stateful belongs
 * to the instance; nothing is global, so replays can run side by side (worker threads).
 */
export class ReplayRun implements BackendHost, RequestSink, SimFeeder {
  readonly sim = new Simulator()
  readonly rng: SeededRandom
  private readonly backend: SimBackend
  private readonly arrivals: ArrivalSource
  private readonly sampler: StateSampler
  private completed = 0
  private failed = 0
  private firstArrivalUs = Number.POSITIVE_INFINITY
  private lastEndUs = 0
  /** Requests released and not finished yet. */
  private inFlight = 0
  /** Filled by every state sample. */
  private readonly state: BackendState = {queueDepth: 0, batchSize: 0, kvUsage: 0}
  /** The outcome filled for every request when the sink borrows outcomes. */
  private readonly reusedOutcome: RequestOutcome | null
  /** Requests released inside the scoring window (steady state), scored once they finish. */
  private releasedInWindow = 0

  constructor(private readonly options: ReplayRunOptions) {
    this.rng = createRng(options.seed)
    this.reusedOutcome = options.sink.borrowsOutcomes === true ? createReusableOutcome() : null
    this.arrivals = new ArrivalSource(this.sim, options.records, options.arrivals, this)
    this.backend = options.createBackend(this)
    this.sampler = new StateSampler(this, options.sampleIntervalUs ?? 50_000)
  }

  async run(): Promise<ReplayRunResult> {
    const w = this.options.scoreWindow
    if (w !== undefined && this.options.onWindowEnd !== undefined) this.sim.schedule(w.endUs, EventKind.windowEnd, {handleEvent: () => this.endWindow()})
    await this.sim.run(this)
    if (this.inFlight !== 0 && !this.sim.stopped) {
      throw new Error(`internal: the simulation ended with ${this.inFlight} requests neither completed nor failed (a scheduling deadlock); please report it`)
    }
    const stats = this.arrivals.stats
    if (this.options.log !== undefined) await this.options.log.flush()
    return {
      startUs: this.firstArrivalUs === Number.POSITIVE_INFINITY ? 0 : this.firstArrivalUs,
      endUs: this.lastEndUs,
      completed: this.completed,
      failed: this.failed,
      unfinished: this.inFlight,
      releasedInWindow: this.releasedInWindow,
      records: stats.records,
      sessions: stats.sessions,
      firstArrivalUs: stats.firstArrivalUs,
      lastArrivalUs: stats.lastArrivalUs,
      inputTokens: stats.inputTokens,
      outputTokens: stats.outputTokens,
      eventsHandled: this.sim.eventsHandled,
      counters: this.backend.readCounters(),
    }
  }

  // SimFeeder: the trace stream and the request log are the two things that need awaits.
  refillAtUs = Number.NEGATIVE_INFINITY

  get pauseEveryEvents(): number | undefined {
    return this.options.yieldEveryEvents
  }

  pause(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve))
  }

  needsRefill(nextEventUs: number): boolean {
    return this.arrivals.needsRefill(nextEventUs) || this.options.log?.needsFlush === true
  }

  async refill(nextEventUs: number): Promise<void> {
    if (this.options.log?.needsFlush === true) await this.options.log.flush()
    if (this.arrivals.needsRefill(nextEventUs)) await this.arrivals.refill(nextEventUs)
    this.refillAtUs = this.arrivals.refillAtUs
  }

  // RequestSink: a request is released by the arrival source.
  submit(seq: Sequence): void {
    const w = this.options.scoreWindow
    if (w !== undefined && seq.arrivalUs >= w.startUs && seq.arrivalUs <= w.endUs) this.releasedInWindow++
    if (seq.arrivalUs < this.firstArrivalUs) {
      this.firstArrivalUs = seq.arrivalUs
      this.sampler.start(seq.arrivalUs)
    }
    this.inFlight++
    // No model serves an empty prompt: a row with 0 input tokens (a failed BurstGPT request
    // kept with --include-failed) fails on arrival, as it did at the source.
    if (seq.promptTokens === 0) this.failRequest(seq, 'empty-prompt', 'the trace row asks for 0 input tokens')
    else this.backend.submit(seq)
  }

  // BackendHost
  completeRequest(seq: Sequence, completionUs: number): void {
    this.inFlight--
    const reused = this.reusedOutcome
    const outcome = reused === null ? buildOutcome(seq, completionUs) : fillOutcome(reused, seq, completionUs)
    this.options.sink.recordOutcome(outcome)
    const log = this.options.log
    if (log !== undefined) {
      log.logOutcome(outcome)
      if (log.needsFlush) this.refillAtUs = Number.NEGATIVE_INFINITY
    }
    this.completed++
    this.finishRequest(seq, completionUs)
    this.arrivals.sequences.giveBack(seq)
  }

  failRequest(seq: Sequence, reason: string, detail: string): void {
    this.inFlight--
    const failure = buildFailure(seq, reason, detail)
    this.options.sink.recordFailure(failure)
    const log = this.options.log
    if (log !== undefined) {
      log.logFailure(failure)
      if (log.needsFlush) this.refillAtUs = Number.NEGATIVE_INFINITY
    }
    this.failed++
    this.finishRequest(seq, this.sim.nowUs)
  }

  /**
   * Inter-token gaps. Every sequence decoding on a replica sees the same step times, so
   * the simulated backends report each gap once with the number of tokens that saw it:
   * O(1) per iteration instead of O(batch). The ITL histogram (a distribution over all
   * gaps) is exactly the same; what is lost is which request each gap belonged to, so a
   * simulated outcome's `itlGapsUs` is empty.
   */
  recordItl(gapUs: number, count: number): void {
    if (count <= 0) return
    const w = this.options.scoreWindow
    if (w !== undefined && (this.sim.nowUs < w.startUs || this.sim.nowUs > w.endUs)) return
    this.options.sink.recordItlGaps(Math.max(0, Math.round(gapUs)), count)
  }

  private endWindow(): void {
    if (this.options.onWindowEnd?.() === true) this.sim.stop()
  }

  private finishRequest(seq: Sequence, endUs: number): void {
    if (endUs > this.lastEndUs) this.lastEndUs = endUs
    if (seq.sessionId !== undefined) this.arrivals.sessions.onDone(seq.sessionId, endUs)
    const onProgress = this.options.onProgress
    if (onProgress !== undefined) {
      const done = this.completed + this.failed
      if (done % (this.options.progressEvery ?? 10_000) === 0) onProgress(done)
    }
  }

  /** For the sampler: whether anything is left to happen. */
  get active(): boolean {
    return this.sim.pendingEvents > 0 || !this.arrivals.exhausted
  }

  sampleState(): void {
    const state = this.backend.readState(this.state)
    const sink = this.options.sink
    const tUs = Math.round(this.sim.nowUs)
    if (sink.sampleStateValues !== undefined) sink.sampleStateValues(tUs, state.queueDepth, state.batchSize, state.kvUsage)
    else sink.sampleState({tUs, queueDepth: state.queueDepth, batchSize: state.batchSize, kvUsage: state.kvUsage})
  }
}

/** Samples queue depth, batch size and KV use at a regular (slowly doubling) interval of virtual time. */
class StateSampler implements EventHandler {
  private started = false
  private samples = 0

  constructor(
    private readonly run: ReplayRun,
    private intervalUs: number,
  ) {}

  start(atUs: number): void {
    if (this.started) return
    this.started = true
    this.run.sim.schedule(atUs, EventKind.sample, this)
  }

  handleEvent(event: SimEvent): void {
    this.run.sampleState()
    if (++this.samples % samplesPerDoubling === 0) this.intervalUs *= 2
    // One sample is pending at a time: the event that just ran is scheduled again.
    if (this.run.active) this.run.sim.scheduleAgain(event, this.run.sim.nowUs + this.intervalUs, EventKind.sample)
  }
}
