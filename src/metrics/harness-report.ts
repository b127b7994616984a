import {buildMetricEntry} from './recorder.js'
import {mergeHistograms} from './histograms.js'
import type {HarnessReport} from './results-file.js'

export interface HarnessThresholds {
  /** The run is invalid when the p99 send lag is above this. */
  maxSendLagP99Ms: number
  /** ... or when achieved / offered request rate is below this. */
  minAchievedRatio: number
}

/** What each sending thread measured about itself (the fields the harness block needs). */
export interface ThreadSelfReport {
  sendLagHistogram: string
  ttftFromSendHistogram: string
  scheduled: number
  sent: number
  notSent: number
  warmup: number
  firstScheduledUs: number
  lastScheduledUs: number
  firstSentUs: number
  lastSentUs: number
  waitedForConnection: number
  peakInFlight: number
  eventLoopDelayMs: {p50: number; p99: number; max: number}
  cpuUserS: number
  cpuSystemS: number
  utilization: number
}

/** Fewer sends than this, or a shorter span, and the rate ratio is too noisy to judge a run by. */
const minSendsForRatio = 20
const minSpanUsForRatio = 1e6

/**
 * The harness's certificate of its own precision: send lag over every request sent, the
 * offered and achieved rates, each thread's event-loop delay and CPU, and a verdict. A run
 * is invalid when the client fell behind its schedule (p99 send lag above the limit, or
 * achieved below `minAchievedRatio` of offered), when requests queued for a connection in
 * the client, or when it was interrupted.
 */
export function buildHarnessReport(
  threads: readonly ThreadSelfReport[],
  context: {thresholds: HarnessThresholds; interrupted: boolean; concurrency: number | null; connectionsPerWorker: number; shard: string},
): HarnessReport {
  const sum = (pick: (t: ThreadSelfReport) => number): number => threads.reduce((total, t) => total + pick(t), 0)
  const sending = threads.filter((t) => t.sent > 0)
  const sendLag = buildMetricEntry(mergeHistograms(...threads.map((t) => t.sendLagHistogram).filter((h) => h !== '')), 0)
  const ttftFromSend = buildMetricEntry(mergeHistograms(...threads.map((t) => t.ttftFromSendHistogram).filter((h) => h !== '')), 0)
  const scheduled = sum((t) => t.scheduled)
  const sent = sum((t) => t.sent)
  const scheduledSpanUs = sending.length === 0 ? 0 : Math.max(...sending.map((t) => t.lastScheduledUs)) - Math.min(...sending.map((t) => t.firstScheduledUs))
  const sentSpanUs = sending.length === 0 ? 0 : Math.max(...sending.map((t) => t.lastSentUs)) - Math.min(...sending.map((t) => t.firstSentUs))
  // n requests over a span have n - 1 intervals: the rate of a schedule, not of a window.
  const offered = scheduledSpanUs > 0 ? ((scheduled - 1) / scheduledSpanUs) * 1e6 : null
  const achieved = sentSpanUs > 0 ? ((sent - 1) / sentSpanUs) * 1e6 : null
  const ratio = offered !== null && achieved !== null ? achieved / offered : null
  const reasons: string[] = []
  const {thresholds} = context
  if (sendLag.p99 !== null && sendLag.p99 > thresholds.maxSendLagP99Ms) {
    reasons.push(`send lag p99 ${sendLag.p99.toFixed(2)} ms is above ${thresholds.maxSendLagP99Ms} ms: the client fell behind its schedule`)
  }
  if (ratio !== null && sent >= minSendsForRatio && scheduledSpanUs >= minSpanUsForRatio && ratio < thresholds.minAchievedRatio) {
    reasons.push(`achieved ${achieved!.toFixed(1)} req/s is ${(ratio * 100).toFixed(1)}% of the ${offered!.toFixed(1)} req/s offered (minimum ${(thresholds.minAchievedRatio * 100).toFixed(0)}%)`)
  }
  const waited = sum((t) => t.waitedForConnection)
  if (waited > 0) {
    reasons.push(`${waited} requests waited for a free connection (${context.connectionsPerWorker} per thread): the client, not the schedule, set when they left; raise connectionsPerWorker`)
  }
  if (context.interrupted) reasons.push('interrupted: the run was stopped before the trace ended; these are partial results')
  return {
    valid: reasons.length === 0,
    invalidReasons: reasons,
    interrupted: context.interrupted,
    thresholds: {...thresholds},
    sendLag,
    ttftFromSend,
    scheduled,
    sent,
    notSent: sum((t) => t.notSent),
    warmup: sum((t) => t.warmup),
    offeredRatePerS: offered,
    achievedRatePerS: achieved,
    achievedRatio: ratio,
    concurrency: context.concurrency,
    connectionsPerWorker: context.connectionsPerWorker,
    waitedForConnection: waited,
    workers: threads.map((t, index) => ({
      shard: context.shard,
      index,
      requests: t.sent,
      eventLoopDelayMs: t.eventLoopDelayMs,
      cpuUserS: t.cpuUserS,
      cpuSystemS: t.cpuSystemS,
      utilization: t.utilization,
      peakInFlight: t.peakInFlight,
    })),
  }
}
