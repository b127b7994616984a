import type {TraceRecord} from '../traces/trace-record.js'

/** A turn read from the trace and not yet released. */
export interface PendingTurn {
  record: TraceRecord
  /** Position in the trace (0-based, file order). */
  index: number
  /** Open-loop arrival after rate scaling, microseconds. */
  scaledArrivalUs: number
  /** When the turn is (to be) released, µs on the driver's clock; -1 until decided. */
  releaseUs: number
}

interface SessionState {
  /** A turn of the session has been released (or scheduled) and has not finished yet. */
  inFlight: boolean
  /** When the session's last turn finished (µs on the driver's clock); -1 before any finished. */
  lastEndUs: number
  pending: PendingTurn[]
}

/** Where released turns go: the arrival source schedules them as events. */
export interface TurnReleaser {
  /** `closedLoop`: released by the end of the previous turn (not in trace order). */
  releaseTurn(turn: PendingTurn, releaseUs: number, closedLoop: boolean): void
}

/**
 * Closed-loop sessions. The first turn of a session is released at its (rate-scaled)
 * arrival; each later turn waits for the previous turn's last token and is released
 * then plus its think time (`thinkTimeUs`), or, for traces that record no think time,
 * at the later of its scaled arrival and the previous turn's end. A turn therefore never
 * starts before the previous turn of its session has ended. Think times are not scaled
 * by --rate-scale: it compresses when sessions start, not how long users and tools think.
 *
 * Memory is bounded: idle sessions are remembered (least recently used first out) up to
 * `maxIdleSessions`; a turn of a forgotten session is released open-loop.
 *
 * The tracker knows no clock: times are µs of whichever clock drives it, virtual time in
 * the simulator (ArrivalSource) or wall time since the start against a real endpoint
 * (WallClockRun), so both release turns by the same rule.
 */
export class SessionTracker {
  private readonly states = new Map<string, SessionState>()
  /** Idle sessions in least-recently-finished order. */
  private readonly idle = new Map<string, SessionState>()
  /** Sessions seen (first turns read), for the trace summary. */
  sessionsSeen = 0

  constructor(
    private readonly releaser: TurnReleaser,
    private readonly maxIdleSessions = 100_000,
  ) {}

  /** A session turn was read from the trace at `nowUs` (the driver's clock). */
  onRead(turn: PendingTurn, nowUs: number): void {
    const sessionId = turn.record.sessionId!
    const state = this.states.get(sessionId)
    if (state === undefined) {
      this.sessionsSeen++
      this.states.set(sessionId, {inFlight: true, lastEndUs: -1, pending: []})
      this.releaser.releaseTurn(turn, Math.max(Math.round(turn.scaledArrivalUs), Math.ceil(nowUs)), false)
      return
    }
    state.pending.push(turn)
    if (!state.inFlight) {
      this.idle.delete(sessionId)
      this.releaseNext(state, nowUs)
    }
  }

  /** A turn of the session finished (completed or failed) at `endUs`. */
  onDone(sessionId: string, endUs: number): void {
    const state = this.states.get(sessionId)
    if (state === undefined) return
    state.inFlight = false
    state.lastEndUs = endUs
    if (state.pending.length > 0) {
      this.releaseNext(state, endUs)
      return
    }
    this.idle.set(sessionId, state)
    if (this.idle.size > this.maxIdleSessions) {
      const oldest = this.idle.keys().next().value!
      this.idle.delete(oldest)
      this.states.delete(oldest)
    }
  }

  private releaseNext(state: SessionState, nowUs: number): void {
    const turn = state.pending.shift()!
    const think = turn.record.thinkTimeUs
    const after = think === undefined ? Math.max(turn.scaledArrivalUs, state.lastEndUs) : state.lastEndUs + think
    state.inFlight = true
    this.releaser.releaseTurn(turn, Math.ceil(Math.max(after, nowUs)), true)
  }
}
