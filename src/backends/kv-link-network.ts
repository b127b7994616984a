import {truncateArray} from '../common/truncate-array.js'
import {EventKind, type EventHandler, type SimEvent} from '../kernel/event-queue.js'
import type {Simulator} from '../kernel/simulator.js'
import type {Sequence} from './sequence.js'

/** One side of a KV path: a prefill replica's egress or a decode replica's ingress. */
export class SharedLink {
  /** Transfers currently moving bytes over the link. */
  active = 0
  constructor(
    readonly name: string,
    /** Effective bandwidth (line rate x efficiency), bytes per microsecond. */
    readonly bytesPerUs: number,
  ) {}
}

export class Transfer {
  rateBytesPerUs = 0
  /** The pending start event (latency, setup and descriptors not yet paid), or null once bytes flow. */
  startEvent: SimEvent | null = null
  /** The pending timeout event, or null. */
  timeoutEvent: SimEvent | null = null
  constructor(
    readonly seq: Sequence,
    readonly egress: SharedLink,
    readonly ingress: SharedLink,
    public remainingBytes: number,
  ) {}
}

export interface TransferListener {
  onTransferDone(seq: Sequence, nowUs: number): void
  /** The transfer did not land within its timeout; it was cancelled and its bandwidth freed. */
  onTransferTimeout(seq: Sequence, nowUs: number): void
}

/** Event data of a transfer's timeout. */
class TransferTimeout {
  constructor(readonly transfer: Transfer) {}
}

/**
 * KV-cache transfers over shared links, as a fluid model: a transfer first pays the
 * path's fixed per-transfer latency and setup, then moves its bytes while sharing
 * bandwidth: each link splits its bandwidth equally among the transfers crossing it,
 * and a transfer moves at the smaller of its two shares (egress of its prefill replica,
 * ingress of its decode replica). Rates change only when a transfer starts or ends, so
 * the work is O(active transfers) per such event, never per byte or per layer.
 */
export class KvLinkNetwork implements EventHandler {
  private readonly flows: Transfer[] = []
  private lastUs = 0
  private tick: SimEvent | null = null
  /** The last tick event that ran or was cancelled, reused for the next tick. */
  private spareTick: SimEvent | null = null
  /** Scratch list of handleEvent: transfers that finished at this event. */
  private readonly done: Transfer[] = []
  transfersStarted = 0
  transfersTimedOut = 0

  constructor(
    private readonly sim: Simulator,
    private readonly listener: TransferListener,
  ) {}

  /**
   * Starts a transfer now: bytes begin to flow after `fixedUs` (latency, setup, descriptors).
   * A transfer that has not landed `timeoutUs` from now is cancelled and reported as timed out.
   */
  start(seq: Sequence, egress: SharedLink, ingress: SharedLink, bytes: number, fixedUs: number, timeoutUs = Number.POSITIVE_INFINITY): void {
    this.transfersStarted++
    const transfer = new Transfer(seq, egress, ingress, Math.max(0, bytes))
    transfer.startEvent = this.sim.schedule(this.sim.nowUs + fixedUs, EventKind.linkUpdate, this, transfer)
    if (timeoutUs !== Number.POSITIVE_INFINITY) transfer.timeoutEvent = this.sim.schedule(this.sim.nowUs + timeoutUs, EventKind.linkUpdate, this, new TransferTimeout(transfer))
  }

  get activeTransfers(): number {
    return this.flows.length
  }

  handleEvent(event: SimEvent): void {
    const now = this.sim.nowUs
    this.advance(now)
    const begun = event.data
    if (begun instanceof TransferTimeout) {
      this.expire(begun.transfer, now)
      return
    }
    if (begun instanceof Transfer) {
      begun.startEvent = null
      if (begun.remainingBytes <= 0) {
        this.settle(begun)
        this.listener.onTransferDone(begun.seq, now)
      } else {
        begun.egress.active++
        begun.ingress.active++
        this.flows.push(begun)
      }
    } else {
      this.tick = null
      this.spareTick = event
    }
    const done = this.done
    this.removeFinished(done)
    this.reschedule(now)
    for (const transfer of done) {
      this.settle(transfer)
      this.listener.onTransferDone(transfer.seq, now)
    }
    truncateArray(done)
  }

  /** A landed transfer no longer needs its timeout. */
  private settle(transfer: Transfer): void {
    this.sim.cancel(transfer.timeoutEvent)
    transfer.timeoutEvent = null
  }

  /** The timeout fired: cancel the transfer wherever it is (paying its fixed costs, or moving bytes). */
  private expire(transfer: Transfer, now: number): void {
    transfer.timeoutEvent = null
    if (transfer.startEvent !== null) {
      this.sim.cancel(transfer.startEvent)
      transfer.startEvent = null
    } else {
      const index = this.flows.indexOf(transfer)
      if (index < 0) return
      this.flows.splice(index, 1)
      transfer.egress.active--
      transfer.ingress.active--
      this.reschedule(now)
    }
    this.transfersTimedOut++
    this.listener.onTransferTimeout(transfer.seq, now)
  }

  private advance(now: number): void {
    const dt = now - this.lastUs
    this.lastUs = now
    if (dt <= 0) return
    for (const flow of this.flows) flow.remainingBytes -= flow.rateBytesPerUs * dt
  }

  /** Moves the finished transfers from the flows to `done`. */
  private removeFinished(done: Transfer[]): void {
    const flows = this.flows
    let kept = 0
    for (let i = 0; i < flows.length; i++) {
      const flow = flows[i]!
      // Finished when what is left would not move the clock (float rounding of the finish time).
      if (flow.remainingBytes <= 0 || (flow.rateBytesPerUs > 0 && this.lastUs + flow.remainingBytes / flow.rateBytesPerUs <= this.lastUs)) {
        flow.egress.active--
        flow.ingress.active--
        done.push(flow)
      } else {
        flows[kept++] = flow
      }
    }
    truncateArray(flows, kept)
  }

  private reschedule(now: number): void {
    if (this.tick !== null) {
      this.sim.cancel(this.tick)
      this.spareTick = this.tick
      this.tick = null
    }
    let nextUs = Number.POSITIVE_INFINITY
    for (const flow of this.flows) {
      const rate = Math.min(flow.egress.bytesPerUs / flow.egress.active, flow.ingress.bytesPerUs / flow.ingress.active)
      flow.rateBytesPerUs = rate
      const finishUs = now + flow.remainingBytes / rate
      if (finishUs < nextUs) nextUs = finishUs
    }
    if (nextUs === Number.POSITIVE_INFINITY) return
    const spare = this.spareTick
    this.spareTick = null
    this.tick = spare === null ? this.sim.schedule(nextUs, EventKind.linkUpdate, this, null) : this.sim.scheduleAgain(spare, nextUs, EventKind.linkUpdate)
  }
}
