import type {BackendHost, BackendState, SimBackend} from '../backends/backend.js'
import {createSimBackend} from '../backends/registry.js'
import type {ResolvedBackend} from '../backends/resolve-backend.js'
import {Sequence} from '../backends/sequence.js'
import {createRng, type SeededRandom} from '../common/seeded-random.js'
import {Simulator} from '../kernel/simulator.js'
import type {RequestOutcome} from '../metrics/request-outcome.js'
import {buildOutcome} from '../replay/build-outcome.js'
import {ClockLag} from './clock-lag.js'

/** What a request needs from the simulation: its size and prefix blocks. */
export interface LiveRequestInput {
  inputTokens: number
  outputTokens: number
  /** Chained prefix-block ids of the prompt (shared ids = shared prefix), for the prefix cache and routing. */
  hashIds?: readonly number[]
  hashBlockSize?: number
}

/** Receives a request's tokens as they leave the simulated backend. */
export interface TokenListener {
  /** `count` more output tokens reached the user now. */
  onTokens(count: number): void
  /** The last token left: the request's outcome on the simulation clock. */
  onComplete(outcome: RequestOutcome): void
  /** The backend refused or dropped the request (e.g. `exceeds-kv-capacity`). */
  onFail(reason: string, detail: string): void
}

/** Observers of the simulation for live metrics (Prometheus). */
export interface LiveObserver {
  onItl?(gapUs: number, count: number): void
  onComplete?(outcome: RequestOutcome): void
  onFail?(reason: string): void
  /** A wake-up ran `lagUs` after it was due. */
  onLag?(lagUs: number): void
}

export interface LiveSimulationOptions {
  /** A resolved backend, or a factory (tests build backends on their own cost models). */
  backend: ResolvedBackend | ((host: BackendHost) => SimBackend)
  seed?: number
  /** Wall clock in microseconds (injectable for tests); default: performance.now(). */
  clockUs?: () => number
  /**
   * How close to a due time the driver stops sleeping on a timer and polls the event
   * loop instead (µs). Node's timers have millisecond resolution; polling the last
   * stretch keeps the simulated clock within a fraction of a millisecond of the wall
   * clock, at the price of a busy loop for at most this long per wake-up. 0 disables it.
   */
  spinUs?: number
  observer?: LiveObserver
  /** false: no timers; the caller advances the clock with runTo (tests with a fake clock). Default true. */
  autoAdvance?: boolean
}

interface LiveRequest {
  seq: Sequence
  listener: TokenListener
  delivered: number
}

/**
 * The discrete-event simulation driven by the wall clock: requests join as they arrive
 * (stamped with the wall time), every event runs once the wall clock reaches it, and
 * each token is handed to its listener when it leaves the backend, including tokens
 * inside a closed-form decode stretch. The simulation itself is unchanged: a token's
 * time is decided by batching, KV admission, preemption, prefix caching and transfers
 * exactly as in a replay; the driver only decides when the wall clock has reached it.
 *
 * How late each wake-up ran against the time it was due is the clock lag (ClockLag):
 * the measure of whether the server keeps up.
 */
export class LiveSimulation implements BackendHost {
  readonly sim = new Simulator()
  readonly rng: SeededRandom
  readonly backend: SimBackend
  readonly lag = new ClockLag()
  private readonly requests = new Map<number, LiveRequest>()
  private readonly clockUs: () => number
  private readonly spinUs: number
  private readonly observer: LiveObserver
  private readonly originUs: number
  private nextIndex = 0
  private dueUs = Number.POSITIVE_INFINITY
  private timer: NodeJS.Timeout | null = null
  private immediate: NodeJS.Immediate | null = null
  private stopped = false
  private readonly autoAdvance: boolean

  constructor(options: LiveSimulationOptions) {
    this.rng = createRng(options.seed ?? 1)
    const clock = options.clockUs ?? (() => performance.now() * 1000)
    this.originUs = clock()
    this.clockUs = () => Math.floor(clock() - this.originUs)
    this.spinUs = options.spinUs ?? 1500
    this.observer = options.observer ?? {}
    this.autoAdvance = options.autoAdvance ?? true
    const backend = options.backend
    this.backend = typeof backend === 'function' ? backend(this) : createSimBackend(backend, this)
  }

  /** Microseconds of wall time since the simulation started (its clock's origin). */
  nowUs(): number {
    return this.clockUs()
  }

  /** The index the next submitted request will get (0, 1, 2, ...). */
  get nextRequestIndex(): number {
    return this.nextIndex
  }

  /** Requests submitted and not finished. */
  get activeRequests(): number {
    return this.requests.size
  }

  readState(): BackendState {
    return this.backend.readState({queueDepth: 0, batchSize: 0, kvUsage: 0})
  }

  /** A request arrives now. Its tokens go to `listener`; returns its index. */
  submit(input: LiveRequestInput, listener: TokenListener): number {
    const now = this.clockUs()
    this.runTo(now)
    const index = this.nextIndex++
    const seq = new Sequence(index, now, input.inputTokens, input.outputTokens, undefined, undefined, input.hashIds, input.hashBlockSize ?? 512)
    this.requests.set(index, {seq, listener, delivered: 0})
    this.backend.submit(seq)
    this.arm()
    return index
  }

  /** Stops the clock: no more wake-ups and no more tokens (the caller closes what it has open). */
  stop(): void {
    this.stopped = true
    this.clearTimers()
    this.requests.clear()
  }

  // BackendHost: called from inside sim.runUntil, at or before the wall clock.
  completeRequest(seq: Sequence, completionUs: number): void {
    const request = this.requests.get(seq.index)
    if (request === undefined) return
    this.requests.delete(seq.index)
    const rest = seq.outputTokens - request.delivered
    request.delivered = seq.outputTokens
    if (rest > 0) request.listener.onTokens(rest)
    const outcome = buildOutcome(seq, completionUs)
    this.observer.onComplete?.(outcome)
    request.listener.onComplete(outcome)
  }

  failRequest(seq: Sequence, reason: string, detail: string): void {
    const request = this.requests.get(seq.index)
    if (request === undefined) return
    this.requests.delete(seq.index)
    this.observer.onFail?.(reason)
    request.listener.onFail(reason, detail)
  }

  recordItl(gapUs: number, count: number): void {
    if (count > 0) this.observer.onItl?.(gapUs, count)
  }

  /** Runs the simulation up to `now` (the wall clock) and hands out the tokens that have left by then. */
  runTo(now: number): void {
    this.sim.runUntil(now)
    const backend = this.backend
    for (const request of this.requests.values()) {
      const delivered = backend.deliveredTokens(request.seq, now)
      if (delivered > request.delivered) {
        const count = delivered - request.delivered
        request.delivered = delivered
        request.listener.onTokens(count)
      }
    }
  }

  private readonly wake = (): void => {
    this.timer = null
    this.immediate = null
    if (this.stopped) return
    const now = this.clockUs()
    if (now < this.dueUs) {
      this.arm()
      return
    }
    this.lag.record(now - this.dueUs, this.requests.size)
    this.observer.onLag?.(now - this.dueUs)
    this.runTo(now)
    this.dueUs = Number.POSITIVE_INFINITY
    this.arm()
  }

  /** Sets the next wake-up: the next event, or the next token inside a stretch. */
  private arm(): void {
    if (this.stopped || !this.autoAdvance) return
    const due = Math.min(this.sim.nextEventUs, this.backend.nextTokenTimeAfter(this.sim.nowUs))
    if (due === this.dueUs && (this.timer !== null || this.immediate !== null)) return
    this.clearTimers()
    this.dueUs = due
    if (due === Number.POSITIVE_INFINITY) return
    const waitUs = due - this.clockUs()
    if (waitUs <= this.spinUs) this.immediate = setImmediate(this.wake)
    else this.timer = setTimeout(this.wake, Math.floor((waitUs - this.spinUs) / 1000))
  }

  private clearTimers(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.immediate !== null) clearImmediate(this.immediate)
    this.timer = null
    this.immediate = null
  }
}
