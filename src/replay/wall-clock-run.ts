import {monitorEventLoopDelay, performance} from 'node:perf_hooks'
import {EndpointClient, type StreamResult} from '../http/endpoint-client.js'
import type {EndpointConfig} from '../http/endpoint-config.js'
import {PromptBuilder} from '../http/prompt-builder.js'
import {RequestBuilder} from '../http/request-builder.js'
import {loadTokenizer} from '../http/tokenizer.js'
import {createLatencyHistogram, encodeHistogram, recordValueUs} from '../metrics/histograms.js'
import type {ThreadSelfReport} from '../metrics/harness-report.js'
import type {RequestFailure, RequestOutcome} from '../metrics/request-outcome.js'
import {MinHeap} from '../traces/min-heap.js'
import type {TraceRecord} from '../traces/trace-record.js'
import type {ArrivalStats, RecordBatches} from './arrivals.js'
import {failureFromStream, outcomeFromStream} from './build-outcome.js'
import {SessionTracker, type PendingTurn, type TurnReleaser} from './sessions.js'

/** Which requests a thread sends: sessions whole (by a hash of their id), other requests by index. */
export interface RequestShare {
  shard: {index: number; count: number}
  worker: {index: number; count: number}
}

export interface WallClockRunOptions {
  records: RecordBatches
  share: RequestShare
  endpoint: EndpointConfig
  apiKey: string | undefined
  model: string
  seed: number
  rateScale: number
  limit?: number
  /** Requests with a trace index below this are sent but not recorded. */
  warmup: number
  /** Nothing is sent after this many µs from the start. */
  durationUs: number
  /** Most requests in flight from this thread (closed loop); Infinity for none. */
  concurrency: number
  /** Outcomes go here, batched by the caller. */
  onOutcome(outcome: RequestOutcome): void
  onFailure(failure: RequestFailure): void
}

/** What one thread measured about itself, merged by the main thread into the results file's harness block. */
export interface WallClockStats extends ArrivalStats, ThreadSelfReport {
  /** The trace format as read (set by the worker). */
  format: string
  lastEndUs: number
  tokens: {
    tokenizer: string
    intendedInput: number
    intendedOutput: number
    serverRequests: number
    serverInput: number
    serverOutput: number
    intendedInputWithUsage: number
    intendedOutputWithUsage: number
    shortAnswers: number
    events: number
    contentChunks: number
    chunkTokens: number
    maxTokensPerChunk: number
    multiTokenChunks: number
  }
}

interface Due {
  turn: PendingTurn
  /** Scheduled send, µs from the start. */
  dueUs: number
  seq: number
}

const lookaheadUs = 2_000_000
const maxBuffered = 20_000
/** Sleep with a timer only when the next send is further away than this; closer, yield with setImmediate. */
const spinWindowMs = 2

/**
 * The wall-clock driver of one worker thread: reads the trace ahead of the clock, keeps
 * the requests of its share, sends each at its scheduled time (open loop, rate-scaled)
 * or, for session turns, when the SessionTracker releases it (the previous turn's last
 * token plus think time, the same rule as the simulator), and streams the answers.
 * It measures its own lateness: every send's lag behind its schedule goes into an HDR
 * histogram, with the event loop's delay and the thread's CPU.
 */
export class WallClockRun implements TurnReleaser {
  private readonly sessions: SessionTracker
  private readonly client: EndpointClient
  private readonly requests: RequestBuilder
  private readonly countTokens: (text: string) => number
  private readonly tokenizerName: string
  private readonly heap = new MinHeap<Due>((a, b) => a.dueUs < b.dueUs || (a.dueUs === b.dueUs && a.seq < b.seq))
  private readonly sendLag = createLatencyHistogram()
  private readonly ttftFromSend = createLatencyHistogram()
  private readonly loopDelay = monitorEventLoopDelay({resolution: 1})
  private readonly stats: WallClockStats
  private seq = 0
  private readIndex = 0
  private readDone = false
  private buffered = 0
  private lastReadUs = Number.NEGATIVE_INFINITY
  private batch: TraceRecord[] = []
  private batchPos = 0
  private reading = false
  private inFlight = 0
  private stopping = false
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private finished: (() => void) | undefined
  /** The common start on this thread's performance.now() clock; until run(), the trace is read as if it started now. */
  private originMs = performance.now()
  /** The concurrency cap held a due request back; it is released when a slot frees (at slotFreedUs). */
  private blocked = false
  private slotFreedUs = 0

  constructor(private readonly options: WallClockRunOptions) {
    const tokenizer = loadTokenizer(options.endpoint.tokenizer)
    this.countTokens = memoizeShortTexts((text) => tokenizer.countTokens(text))
    this.tokenizerName = tokenizer.name
    this.sessions = new SessionTracker(this)
    this.client = new EndpointClient(options.endpoint, options.apiKey, this.countTokens)
    this.requests = new RequestBuilder(options.endpoint, options.model, new PromptBuilder(tokenizer, {salt: options.seed}))
    this.stats = emptyStats(tokenizer.name)
  }

  /** µs since the common start on this thread's monotonic clock. */
  private nowUs(): number {
    return (performance.now() - this.originMs) * 1000
  }

  /**
   * Before the start: reads the first records and builds their prompts' text, and opens a
   * connection (GET /models), so the first sends do not pay for reading, compiling or
   * connecting.
   */
  async prepare(): Promise<void> {
    await this.refill()
    this.requests.build({index: -1, inputTokens: 64, outputTokens: 1})
    this.requests.finish(-1, undefined)
    try {
      await this.client.listModels()
    } catch {
      // The first real request will report what is wrong with the server.
    }
  }

  /** Sends until the trace is done or stop() is called; `startEpochMs` is the common start (ms since the Unix epoch). */
  async run(startEpochMs: number): Promise<WallClockStats> {
    this.originMs = startEpochMs - performance.timeOrigin
    const cpuStart = process.threadCpuUsage()
    const eluStart = performance.eventLoopUtilization()
    this.loopDelay.enable()
    await new Promise<void>((resolve) => {
      this.finished = resolve
      if (this.stopping) this.finish()
      else this.schedule()
    })
    this.loopDelay.disable()
    const cpu = process.threadCpuUsage(cpuStart)
    const elu = performance.eventLoopUtilization(eluStart)
    await this.client.close()
    const s = this.stats
    s.sendLagHistogram = encodeHistogram(this.sendLag)
    s.ttftFromSendHistogram = encodeHistogram(this.ttftFromSend)
    s.sessions = this.sessions.sessionsSeen
    s.waitedForConnection = this.client.waitedForConnection
    s.peakInFlight = this.client.peakActive
    s.eventLoopDelayMs = {
      p50: this.loopDelay.percentile(50) / 1e6,
      p99: this.loopDelay.percentile(99) / 1e6,
      max: this.loopDelay.max / 1e6,
    }
    s.cpuUserS = cpu.user / 1e6
    s.cpuSystemS = cpu.system / 1e6
    s.utilization = elu.utilization
    return s
  }

  /** Stop sending; requests in flight get `graceMs` to finish, then are aborted as `interrupted`. */
  stop(graceMs: number): void {
    if (this.stopping) return
    this.stopping = true
    this.clearTimers()
    this.countUnsent()
    if (this.inFlight === 0) this.finish()
    else setTimeout(() => this.client.abortAll('interrupted'), graceMs).unref()
  }

  // TurnReleaser: the SessionTracker releases a session's first turn at its arrival, later ones closed-loop.
  releaseTurn(turn: PendingTurn, releaseUs: number): void {
    turn.releaseUs = releaseUs
    this.heap.push({turn, dueUs: releaseUs, seq: this.seq++})
    if (!this.stopping && this.heap.peek()!.turn === turn) this.schedule()
  }

  private schedule(): void {
    this.clearTimers()
    if (this.stopping || this.finished === undefined) return
    const next = this.heap.peek()
    if (next === undefined) {
      if (this.readDone && this.inFlight === 0 && this.buffered === 0) this.finish()
      else if (!this.readDone && !this.reading) void this.refillThenSchedule()
      return
    }
    const waitMs = (next.dueUs - this.nowUs()) / 1000
    if (waitMs > spinWindowMs + 1) {
      this.timer = setTimeout(() => this.tick(), Math.min(waitMs - spinWindowMs, 50))
      if (!this.readDone && !this.reading && waitMs > 5) void this.refillThenSchedule()
    } else {
      this.immediate = setImmediate(() => this.tick())
    }
  }

  private tick(): void {
    this.timer = undefined
    this.immediate = undefined
    const now = this.nowUs()
    const options = this.options
    let next = this.heap.peek()
    for (; next !== undefined && next.dueUs <= now; next = this.heap.peek()) {
      if (this.inFlight >= options.concurrency) {
        // Closed loop: the request is released when a slot frees (see onDone), and that is its arrival.
        this.blocked = true
        break
      }
      this.heap.pop()
      this.buffered--
      if (next.dueUs > options.durationUs) {
        this.stats.notSent++
        const sessionId = next.turn.record.sessionId
        // Its session's later turns are past the limit too; release them so they are counted.
        if (sessionId !== undefined) this.sessions.onDone(sessionId, next.dueUs)
        continue
      }
      this.send(next.turn, this.blocked ? Math.max(next.dueUs, this.slotFreedUs) : next.dueUs)
    }
    if (next === undefined || next.dueUs > now) this.blocked = false
    if (!this.readDone && !this.reading && this.lastReadUs / options.rateScale < now + lookaheadUs / 2) void this.refillThenSchedule()
    if (this.inFlight < options.concurrency || this.heap.peek() === undefined) this.schedule()
  }

  private send(turn: PendingTurn, dueUs: number): void {
    const record = turn.record
    const built = this.requests.build({
      index: turn.index,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      sessionId: record.sessionId,
      hashIds: record.hashIds,
      blockSize: record.blockSize,
    })
    this.inFlight++
    const warm = turn.index < this.options.warmup
    const s = this.stats
    void this.client.stream(built.route, built.body).then((result) => {
      const sendUs = this.toRunUs(result.sendMs)
      this.account(turn, dueUs, sendUs, warm, result, built.intendedInputTokens)
      this.requests.finish(turn.index, result.failure === undefined ? result.answer : undefined)
      this.onDone(turn, this.toRunUs(result.endMs))
    })
    if (!warm) {
      s.scheduled++
      s.sent++
    } else {
      s.warmup++
    }
  }

  private account(turn: PendingTurn, dueUs: number, sendUs: number, warm: boolean, result: StreamResult, intendedInput: number): void {
    if (warm) return
    const s = this.stats
    const lagUs = Math.max(0, Math.round(sendUs - dueUs))
    recordValueUs(this.sendLag, lagUs)
    if (s.firstScheduledUs < 0 || dueUs < s.firstScheduledUs) s.firstScheduledUs = Math.round(dueUs)
    if (dueUs > s.lastScheduledUs) s.lastScheduledUs = Math.round(dueUs)
    if (s.firstSentUs < 0 || sendUs < s.firstSentUs) s.firstSentUs = Math.round(sendUs)
    if (sendUs > s.lastSentUs) s.lastSentUs = Math.round(sendUs)
    const endUs = this.toRunUs(result.endMs)
    if (endUs > s.lastEndUs) s.lastEndUs = Math.round(endUs)
    const t = s.tokens
    t.events += result.events
    t.contentChunks += result.contentChunks
    t.chunkTokens += result.countedTokens
    const context = {index: turn.index, arrivalUs: Math.round(dueUs), sendUs, lagUs, sessionId: turn.record.sessionId, turn: turn.record.turn}
    if (result.failure !== undefined) {
      this.options.onFailure(failureFromStream(context, result.failure))
      return
    }
    recordValueUs(this.ttftFromSend, Math.round((result.firstContentMs! - result.sendMs) * 1000))
    const outcome = outcomeFromStream(context, result, (ms) => this.toRunUs(ms), intendedInput)
    t.intendedInput += intendedInput
    t.intendedOutput += turn.record.outputTokens
    if (result.usage !== undefined) {
      t.serverRequests++
      t.serverInput += result.usage.promptTokens
      t.serverOutput += result.usage.completionTokens
      t.intendedInputWithUsage += intendedInput
      t.intendedOutputWithUsage += turn.record.outputTokens
    }
    if (outcome.outputTokens < turn.record.outputTokens) t.shortAnswers++
    const perChunk = result.contentChunks > 0 ? Math.max(result.firstChunkTokens, ...result.itlGapsUs.map((p) => p[1])) : 0
    if (perChunk > t.maxTokensPerChunk) t.maxTokensPerChunk = perChunk
    t.multiTokenChunks += (result.firstChunkTokens > 1 ? 1 : 0) + result.itlGapsUs.filter((p) => p[1] > 1).length
    this.options.onOutcome(outcome)
  }

  private onDone(turn: PendingTurn, endUs: number): void {
    this.inFlight--
    this.slotFreedUs = endUs
    if (turn.record.sessionId !== undefined && !this.stopping) this.sessions.onDone(turn.record.sessionId, Math.ceil(endUs))
    if (this.stopping) {
      if (this.inFlight === 0) this.finish()
      return
    }
    this.schedule()
  }

  private toRunUs(ms: number): number {
    return (ms - this.originMs) * 1000
  }

  private async refillThenSchedule(): Promise<void> {
    await this.refill()
    if (!this.stopping && this.timer === undefined && this.immediate === undefined) this.schedule()
  }

  /** Reads records until the trace is `lookaheadUs` ahead of the clock (scaled), keeping this thread's share. */
  private async refill(): Promise<void> {
    if (this.reading) return
    this.reading = true
    const options = this.options
    const targetUs = this.nowUs() + lookaheadUs
    while (!this.readDone && this.buffered < maxBuffered && this.lastReadUs / options.rateScale < targetUs) {
      if (this.batchPos >= this.batch.length) {
        const result = await options.records.next()
        if (result.done === true) {
          this.readDone = true
          break
        }
        this.batch = result.value
        this.batchPos = 0
        continue
      }
      const record = this.batch[this.batchPos++]!
      const index = this.readIndex++
      // Synthesized traces come in synchronous batches: let sends due meanwhile go out.
      if ((index & 255) === 255) await new Promise((resolve) => setImmediate(resolve))
      if (options.limit !== undefined && index >= options.limit) {
        this.readDone = true
        break
      }
      this.lastReadUs = record.arrivalUs
      if (!ownsRequest(options.share, record, index)) continue
      this.dispatch(record, index)
    }
    this.reading = false
  }

  private dispatch(record: TraceRecord, index: number): void {
    const s = this.stats
    if (s.records === 0) s.firstArrivalUs = record.arrivalUs
    s.records++
    s.lastArrivalUs = record.arrivalUs
    s.inputTokens += record.inputTokens
    s.outputTokens += record.outputTokens
    this.buffered++
    const turn: PendingTurn = {record, index, scaledArrivalUs: record.arrivalUs / this.options.rateScale, releaseUs: -1}
    if (record.sessionId !== undefined) this.sessions.onRead(turn, this.nowUs())
    else this.releaseTurn(turn, Math.round(turn.scaledArrivalUs))
  }

  private countUnsent(): void {
    this.stats.notSent += this.heap.size
    while (this.heap.size > 0) this.heap.pop()
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.immediate !== undefined) clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
  }

  private finish(): void {
    const done = this.finished
    this.finished = undefined
    done?.()
  }
}

/**
 * Chunks of a stream are mostly one short word each, and the same few words recur: their
 * token counts are cached (bounded), which takes the tokenizer off the per-chunk path.
 */
function memoizeShortTexts(count: (text: string) => number): (text: string) => number {
  const cache = new Map<string, number>()
  return (text) => {
    if (text.length > 24) return count(text)
    let n = cache.get(text)
    if (n === undefined) {
      n = count(text)
      if (cache.size >= 16_384) cache.clear()
      cache.set(text, n)
    }
    return n
  }
}

/** Sessions stay whole on one shard and one thread; other requests are spread by index. */
export function ownsRequest(share: RequestShare, record: TraceRecord, index: number): boolean {
  const key = record.sessionId === undefined ? index : hashSessionId(record.sessionId)
  if (key % share.shard.count !== share.shard.index) return false
  return Math.floor(key / share.shard.count) % share.worker.count === share.worker.index
}

/** FNV-1a, 32 bits: stable across runs, machines and Node versions. */
export function hashSessionId(id: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

function emptyStats(tokenizer: string): WallClockStats {
  return {
    format: '',
    records: 0,
    sessions: 0,
    firstArrivalUs: 0,
    lastArrivalUs: 0,
    inputTokens: 0,
    outputTokens: 0,
    sendLagHistogram: '',
    ttftFromSendHistogram: '',
    scheduled: 0,
    sent: 0,
    notSent: 0,
    warmup: 0,
    firstScheduledUs: -1,
    lastScheduledUs: 0,
    firstSentUs: -1,
    lastSentUs: 0,
    lastEndUs: 0,
    waitedForConnection: 0,
    peakInFlight: 0,
    eventLoopDelayMs: {p50: 0, p99: 0, max: 0},
    cpuUserS: 0,
    cpuSystemS: 0,
    utilization: 0,
    tokens: {
      tokenizer,
      intendedInput: 0,
      intendedOutput: 0,
      serverRequests: 0,
      serverInput: 0,
      serverOutput: 0,
      intendedInputWithUsage: 0,
      intendedOutputWithUsage: 0,
      shortAnswers: 0,
      events: 0,
      contentChunks: 0,
      chunkTokens: 0,
      maxTokensPerChunk: 0,
      multiTokenChunks: 0,
    },
  }
}
